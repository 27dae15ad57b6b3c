// Metric families of the conntrack table statistics (table_collector.h). A pure
// function: the unit tests check it.
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

}  // namespace nfct
