// Metric families of the conntrack table statistics (table_collector.h) and of the
// per-zone entry counts (zone_collector.h). Pure functions: the unit tests check them.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ctnetlink_msg.h"
#include "table_stats.h"

namespace nfct {

struct NetnsTable {
  uint64_t netns = 0;
  std::optional<TableStats> stats;  // nullopt: this namespace could not be read
};

// nfct_table_entries, nfct_table_max_entries, nfct_table_<stat>_total for each
// per-CPU counter the kernel reports, nfct_expect_entries, nfct_expect_<stat>_total and
// nfct_table_read_success; with `per_cpu` the counters carry a `cpu` label instead of
// being summed over CPUs.
std::vector<prometheus::MetricFamily> table_families(const std::vector<NetnsTable>& tables, bool per_cpu,
                                                     uint64_t scrape_errors, double scrape_seconds);

// The per-zone dump of one namespace.
struct ZoneDump {
  std::map<CtEntryKey, uint64_t> counts;  // entries by zone, direction, protocol, TCP state
  uint64_t entries = 0;                   // entries seen in the dump
  uint64_t unlabeled = 0;                 // entries not counted per zone: series limit reached
  double duration_seconds = 0;            // of the last dump, successful or not
  double last_success_unix = 0;           // 0: never succeeded
  bool ok = false;                        // counts are from a complete dump
};
struct ZoneStatus {
  std::map<uint64_t, ZoneDump> netns;  // by namespace
  uint64_t dumps = 0;
  uint64_t timeouts = 0;
  uint64_t errors = 0;  // other failures
};

std::vector<prometheus::MetricFamily> zone_families(const ZoneStatus& s, double now_unix);

}  // namespace nfct
