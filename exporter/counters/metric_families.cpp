#include "metric_families.h"

#include "ct_names.h"

namespace nfct {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
constexpr auto family = make_family;
constexpr auto add = add_sample;

std::string probe_name(const ProbeNames& names, uint8_t index) {
  auto it = names.find(index);
  return it != names.end() ? it->second : "index:" + std::to_string(index);
}

}  // namespace

std::vector<MetricFamily> counter_families(const Aggregates& a, const ProbeNames& names) {
  auto packets = family("nfct_packets_total", "Packets seen by a probe, by the packet's conntrack state.",
                        MetricType::Counter);
  auto bytes = family("nfct_bytes_total", "Bytes seen by a probe, by the packet's conntrack state.",
                      MetricType::Counter);
  auto bits = family("nfct_status_packets_total",
                     "Packets whose connection had this status bit set when the probe saw them.",
                     MetricType::Counter);
  auto zones = family("nfct_zone_packets_total",
                      "Tracked packets by the connection's conntrack zone and zone direction.",
                      MetricType::Counter);
  auto nc_packets = family("nfct_no_conntrack_packets_total",
                           "Packets seen by a probe that carried no conntrack entry.", MetricType::Counter);
  auto nc_bytes = family("nfct_no_conntrack_bytes_total",
                         "Bytes of packets seen by a probe that carried no conntrack entry.",
                         MetricType::Counter);

  for (const auto& [k, v] : a.states) {
    auto [probe, netns, state] = k;
    Labels l{{"probe", probe_name(names, probe)}, {"netns", std::to_string(netns)},
             {"state", std::string(*ct_state_name(state))}};
    add(packets, l, static_cast<double>(v.packets));
    add(bytes, l, static_cast<double>(v.bytes));
  }
  for (const auto& [k, v] : a.bits) {
    auto [probe, netns, bit] = k;
    add(bits,
        {{"probe", probe_name(names, probe)}, {"netns", std::to_string(netns)},
         {"bit", std::string(*ct_status_bit_name(bit))}},
        static_cast<double>(v));
  }
  for (const auto& [k, v] : a.zones) {
    auto [probe, netns, zone, dir, state] = k;
    auto dir_name = zone_dir_name(dir);
    add(zones,
        {{"probe", probe_name(names, probe)}, {"netns", std::to_string(netns)},
         {"zone", std::to_string(zone)},
         {"direction", dir_name ? std::string(*dir_name) : std::to_string(dir)},
         {"state", std::string(*ct_state_name(state))}},
        static_cast<double>(v));
  }
  for (const auto& [k, v] : a.no_conntrack) {
    auto [probe, netns] = k;
    Labels l{{"probe", probe_name(names, probe)}, {"netns", std::to_string(netns)}};
    add(nc_packets, l, static_cast<double>(v.packets));
    add(nc_bytes, l, static_cast<double>(v.bytes));
  }
  return {packets, bytes, bits, zones, nc_packets, nc_bytes};
}

std::vector<MetricFamily> self_families(const SelfStats& s) {
  auto up = family("nfct_probe_up", "1 when the probe is attached somewhere, else 0.", MetricType::Gauge);
  auto attached = family("nfct_probe_attached",
                         "1 for each network namespace a netfilter probe is attached in "
                         "(netns=\"all\" for tracepoints).",
                         MetricType::Gauge);
  auto failures = family("nfct_probe_attach_errors_total", "Failed attempts to attach the probe.",
                         MetricType::Counter);
  auto covered = family("nfct_netns_attached", "Network namespaces with netfilter probes attached.",
                        MetricType::Gauge);
  auto rescans = family("nfct_netns_rescans_total", "Scans for new and vanished network namespaces.",
                        MetricType::Counter);
  auto purged = family("nfct_netns_purged_total",
                       "Network namespaces that vanished and whose series were removed.",
                       MetricType::Counter);
  auto entries = family("nfct_map_entries", "Entries in a BPF map.", MetricType::Gauge);
  auto max_entries = family("nfct_map_max_entries", "Capacity of a BPF map.", MetricType::Gauge);
  auto ovf_packets = family("nfct_map_overflow_packets_total",
                            "Packets not counted per label set because the counter map was full.",
                            MetricType::Counter);
  auto ovf_bytes = family("nfct_map_overflow_bytes_total",
                          "Bytes of packets not counted per label set because the counter map was full.",
                          MetricType::Counter);
  auto duration = family("nfct_exporter_collect_duration_seconds",
                         "Time this scrape spent reading the BPF maps and rendering the packet counters.",
                         MetricType::Gauge);
  auto errors = family("nfct_exporter_scrape_errors_total", "Scrapes that could not read a BPF map.",
                       MetricType::Counter);

  for (const auto& p : s.manager.probes) {
    const std::string name = p.probe.name();
    add(up, {{"probe", name}}, p.up() ? 1 : 0);
    add(failures, {{"probe", name}}, static_cast<double>(p.attach_failures));
    if (p.tracepoint_attached) add(attached, {{"probe", name}, {"netns", "all"}}, 1);
    for (uint64_t ns : p.attached_netns) add(attached, {{"probe", name}, {"netns", std::to_string(ns)}}, 1);
    const auto& o = s.overflow.size() > p.index ? s.overflow[p.index] : nfct_overflow{};
    add(ovf_packets, {{"probe", name}}, static_cast<double>(o.packets));
    add(ovf_bytes, {{"probe", name}}, static_cast<double>(o.bytes));
  }
  add(covered, {}, static_cast<double>(s.manager.netns_covered));
  add(rescans, {}, static_cast<double>(s.manager.rescans));
  add(purged, {}, static_cast<double>(s.manager.netns_vanished));
  add(entries, {{"map", "counters"}}, static_cast<double>(s.map_entries));
  add(max_entries, {{"map", "counters"}}, static_cast<double>(s.map_max_entries));
  for (const auto& m : s.more_maps) {
    add(entries, {{"map", m.map}}, static_cast<double>(m.entries));
    add(max_entries, {{"map", m.map}}, static_cast<double>(m.max_entries));
  }
  add(duration, {}, s.collect_seconds);
  add(errors, {}, static_cast<double>(s.scrape_errors));
  return {up, attached, failures, covered, rescans, purged, entries, max_entries, ovf_packets, ovf_bytes,
          duration, errors};
}

std::vector<MetricFamily> build_info_family(const std::string& version, const std::string& revision,
                                            const std::string& libbpf_version) {
  auto f = family("nfct_exporter_build_info",
                  "A metric with a constant '1' value labeled by version, revision and libbpf version.",
                  MetricType::Gauge);
  add(f, {{"version", version}, {"revision", revision}, {"libbpf", libbpf_version}}, 1);
  return {f};
}

}  // namespace nfct
