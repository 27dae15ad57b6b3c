#include "zone_families.h"

#include <algorithm>

#include "ct_names.h"
#include "prom_family.h"

namespace nfct {

using prometheus::MetricFamily;
using prometheus::MetricType;

std::vector<MetricFamily> zone_families(const ZoneStatus& s, double now_unix) {
  auto entries = make_family("nfct_zone_entries",
                             "Conntrack entries by zone, zone direction, protocol and TCP state, from the "
                             "last complete table dump.",
                             MetricType::Gauge);
  auto unlabeled = make_family("nfct_zone_unlabeled_entries",
                               "Entries of the last dump not counted in nfct_zone_entries because "
                               "zone_entries.max_series was reached.",
                               MetricType::Gauge);
  auto dumped = make_family("nfct_zone_dump_entries", "Entries seen by the last complete table dump.",
                            MetricType::Gauge);
  auto duration = make_family("nfct_zone_dump_duration_seconds",
                              "Duration of the last table dump of the namespace, complete or not.",
                              MetricType::Gauge);
  auto last = make_family("nfct_zone_dump_last_success_timestamp_seconds",
                          "Unix time when the last complete table dump of the namespace ended.",
                          MetricType::Gauge);
  auto age = make_family("nfct_zone_dump_age_seconds",
                         "Seconds since the last complete table dump of the namespace ended.", MetricType::Gauge);
  auto dumps = make_family("nfct_zone_dumps_total", "Table dumps attempted, over every namespace.",
                           MetricType::Counter);
  auto errors = make_family("nfct_zone_dump_errors_total",
                            "Table dumps that failed: reason=\"timeout\" ran past zone_entries.timeout and "
                            "was stopped, reason=\"error\" failed otherwise.",
                            MetricType::Counter);

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
