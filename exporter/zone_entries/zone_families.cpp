#include "zone_families.h"

#include <algorithm>

#include "ct_names.h"
#include "prom_family.h"

namespace nfct {

using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

MetricFamily family(const ZoneFamilyInfo& f, MetricType type) {
  return make_family(std::string(f.name), std::string(f.help), type);
}

}  // namespace

std::vector<MetricFamily> zone_families(const ZoneStatus& s, double now_unix) {
  auto entries = family(kZoneEntries, MetricType::Gauge);
  auto unlabeled = family(kZoneUnlabeled, MetricType::Gauge);
  auto dumped = family(kZoneDumpEntries, MetricType::Gauge);
  auto duration = family(kZoneDumpDuration, MetricType::Gauge);
  auto last = family(kZoneDumpLastSuccess, MetricType::Gauge);
  auto age = family(kZoneDumpAge, MetricType::Gauge);
  auto dumps = family(kZoneDumps, MetricType::Counter);
  auto errors = family(kZoneDumpErrors, MetricType::Counter);

  for (const auto& [netns, d] : s.netns) {
    const std::string ns = std::to_string(netns);
    add_sample(duration, {{"netns", ns}}, d.duration_seconds);
    if (d.last_success_unix <= 0) continue;  // no complete dump yet: no counts to show
    add_sample(last, {{"netns", ns}}, d.last_success_unix);
    add_sample(age, {{"netns", ns}}, std::max(0.0, now_unix - d.last_success_unix));
    add_sample(dumped, {{"netns", ns}}, static_cast<double>(d.counts.entries));
    add_sample(unlabeled, {{"netns", ns}}, static_cast<double>(d.counts.unlabeled));
    for (const auto& [k, n] : d.counts.by_key) {
      auto dir = zone_dir_name(k.zone_dir);
      add_sample(entries,
                 {{"netns", ns},
                  {"zone", std::to_string(k.zone)},
                  {"direction", dir ? std::string(*dir) : std::to_string(k.zone_dir)},
                  {"protocol", l4proto_label(k.l4proto)},
                  {"tcp_state", k.tcp_state == kNoTcpState ? std::string() : tcp_state_label(k.tcp_state)}},
                 static_cast<double>(n));
    }
  }
  add_sample(dumps, {}, static_cast<double>(s.dumps));
  add_sample(errors, {{"reason", "timeout"}}, static_cast<double>(s.timeouts));
  add_sample(errors, {{"reason", "error"}}, static_cast<double>(s.errors));
  return {entries, unlabeled, dumped, duration, last, age, dumps, errors};
}

}  // namespace nfct
