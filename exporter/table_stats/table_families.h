// Metric families of the conntrack table statistics (table_collector.h) as prometheus-cpp
// objects: the reference the direct text (table_text.h) is checked against in the unit
// tests. Pure functions.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctnetlink_msg.h"
#include "table_stats.h"

namespace nfct {

struct NetnsTable {
  uint64_t netns = 0;
  std::optional<TableStats> stats;  // nullopt: this namespace could not be read
};

// The fixed families' names (kXName: the form tests/tools/check_metric_refs.py finds
// them in) and help texts, shared with table_text.cpp.
struct TableFamilyInfo {
  std::string_view name;
  std::string_view help;
};
inline constexpr std::string_view kTableEntriesName = "nfct_table_entries";
inline constexpr TableFamilyInfo kTableEntries{kTableEntriesName,
                                               "Entries in the conntrack table of the network namespace."};
inline constexpr std::string_view kTableMaxEntriesName = "nfct_table_max_entries";
inline constexpr TableFamilyInfo kTableMaxEntries{
    kTableMaxEntriesName,
    "The conntrack table limit (nf_conntrack_max, one value for the host that each network "
    "namespace's own entries count against; 0 means no limit)."};
inline constexpr std::string_view kExpectEntriesName = "nfct_expect_entries";
inline constexpr TableFamilyInfo kExpectEntries{
    kExpectEntriesName, "Expectations (connections announced by a helper) in the network namespace."};
inline constexpr std::string_view kTableReadSuccessName = "nfct_table_read_success";
inline constexpr TableFamilyInfo kTableReadSuccess{
    kTableReadSuccessName, "1 when the namespace's conntrack statistics were read in this scrape, else 0."};
inline constexpr std::string_view kTableReadErrorsName = "nfct_table_read_errors_total";
inline constexpr TableFamilyInfo kTableReadErrors{
    kTableReadErrorsName, "Network namespaces whose conntrack statistics could not be read in a scrape."};
inline constexpr std::string_view kTableReadDurationName = "nfct_table_read_duration_seconds";
inline constexpr TableFamilyInfo kTableReadDuration{
    kTableReadDurationName, "Time this scrape spent reading the conntrack statistics of every namespace."};

// The help text of nfct_table_<name>_total (a CTA_STATS_* counter) and of
// nfct_expect_<name>_total (a CTA_STATS_EXP_* counter).
std::string ct_stat_help(std::string_view name);
std::string exp_stat_help(std::string_view name);

// nfct_table_entries, nfct_table_max_entries, nfct_table_<stat>_total for each
// per-CPU counter the kernel reports, nfct_expect_entries, nfct_expect_<stat>_total and
// nfct_table_read_success; with `per_cpu` the counters carry a `cpu` label instead of
// being summed over CPUs.
std::vector<prometheus::MetricFamily> table_families(const std::vector<NetnsTable>& tables, bool per_cpu,
                                                     uint64_t scrape_errors, double scrape_seconds);

}  // namespace nfct
