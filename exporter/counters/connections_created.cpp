#include "connections_created.h"

#include "ct_names.h"
#include "metric_families.h"
#include "probe.h"

namespace nfct {
namespace {

constexpr int kNfprotoIpv4 = 2, kNfprotoIpv6 = 10;
constexpr int kHookInput = 1, kHookPostrouting = 4;
constexpr uint8_t kCtinfoRelated = 1, kCtinfoNew = 2;  // enum ip_conntrack_info
constexpr uint16_t kConfirmed = 1u << 3;                // IPS_CONFIRMED_BIT

}  // namespace

bool probe_sees_confirmation(uint8_t probe) {
  for (int pf : {kNfprotoIpv4, kNfprotoIpv6})
    for (int hook : {kHookInput, kHookPostrouting})
      if (probe == nf_probe_index(pf, hook)) return true;
  return false;
}

CreatedConnections created_connections(const std::vector<CounterEntry>& entries) {
  CreatedConnections out;
  created_connections(entries, out);
  return out;
}

void created_connections(const std::vector<CounterEntry>& entries, CreatedConnections& out) {
  out.clear();
  for (const auto& [k, v] : entries) {
    if (!probe_sees_confirmation(k.probe)) continue;
    if (k.state != kCtinfoNew && k.state != kCtinfoRelated) continue;
    // An ICMP error is `related` too, but to an existing, confirmed connection: only a
    // related packet of an unconfirmed entry opens a connection (an expected one).
    if (k.status & kConfirmed) continue;
    out.add_unsorted({k.netns, k.zone, k.zone_dir}, v.packets);
  }
  out.sort_and_merge();  // the probes' entries of one (netns, zone, direction) come apart
}

prometheus::MetricFamily created_connections_family(const CreatedConnections& created) {
  auto f = make_family(kCreatedConnectionsName, kCreatedConnectionsHelp, prometheus::MetricType::Counter);
  for (const auto& [k, n] : created) {
    auto [netns, zone, dir] = k;
    auto dir_name = zone_dir_name(dir);
    add_sample(f,
               {{"netns", std::to_string(netns)}, {"zone", std::to_string(zone)},
                {"direction", dir_name ? std::string(*dir_name) : std::to_string(dir)}},
               static_cast<double>(n));
  }
  return f;
}

}  // namespace nfct
