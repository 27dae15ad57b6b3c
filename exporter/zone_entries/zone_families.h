// Metric families of the per-zone entry counts (zone_collector.h) as prometheus-cpp
// objects: the reference the direct text (zone_text.h) is checked against in the unit
// tests. A pure function.
#pragma once

#include <prometheus/metric_family.h>

#include <string_view>
#include <vector>

#include "zone_dumper.h"

namespace nfct {

// The families' names (kXName: the form tests/tools/check_metric_refs.py finds them in)
// and help texts, shared with zone_text.cpp.
struct ZoneFamilyInfo {
  std::string_view name;
  std::string_view help;
};
inline constexpr std::string_view kZoneEntriesName = "nfct_zone_entries";
inline constexpr ZoneFamilyInfo kZoneEntries{
    kZoneEntriesName,
    "Conntrack entries by zone, zone direction, protocol and TCP state, from the last complete table dump."};
inline constexpr std::string_view kZoneUnlabeledName = "nfct_zone_unlabeled_entries";
inline constexpr ZoneFamilyInfo kZoneUnlabeled{
    kZoneUnlabeledName,
    "Entries of the last dump not counted in nfct_zone_entries because zone_entries.max_series was reached."};
inline constexpr std::string_view kZoneDumpEntriesName = "nfct_zone_dump_entries";
inline constexpr ZoneFamilyInfo kZoneDumpEntries{kZoneDumpEntriesName, "Entries seen by the last complete table dump."};
inline constexpr std::string_view kZoneDumpDurationName = "nfct_zone_dump_duration_seconds";
inline constexpr ZoneFamilyInfo kZoneDumpDuration{kZoneDumpDurationName,
                                                  "Duration of the last table dump of the namespace, complete or not."};
inline constexpr std::string_view kZoneDumpLastSuccessName = "nfct_zone_dump_last_success_timestamp_seconds";
inline constexpr ZoneFamilyInfo kZoneDumpLastSuccess{
    kZoneDumpLastSuccessName, "Unix time when the last complete table dump of the namespace ended."};
inline constexpr std::string_view kZoneDumpAgeName = "nfct_zone_dump_age_seconds";
inline constexpr ZoneFamilyInfo kZoneDumpAge{kZoneDumpAgeName,
                                             "Seconds since the last complete table dump of the namespace ended."};
inline constexpr std::string_view kZoneDumpsName = "nfct_zone_dumps_total";
inline constexpr ZoneFamilyInfo kZoneDumps{kZoneDumpsName, "Table dumps attempted, over every namespace."};
inline constexpr std::string_view kZoneDumpErrorsName = "nfct_zone_dump_errors_total";
inline constexpr ZoneFamilyInfo kZoneDumpErrors{
    kZoneDumpErrorsName,
    "Table dumps that failed: reason=\"timeout\" ran past zone_entries.timeout and was stopped, "
    "reason=\"error\" failed otherwise."};

// nfct_zone_entries and the dump's own families, from the dumper's status; `now_unix`
// gives nfct_zone_dump_age_seconds.
std::vector<prometheus::MetricFamily> zone_families(const ZoneStatus& s, double now_unix);

}  // namespace nfct
