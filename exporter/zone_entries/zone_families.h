// Metric families of the per-zone entry counts (zone_collector.h). A pure function: the
// unit tests check it.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "zone_dumper.h"

namespace nfct {

// nfct_zone_entries and the dump's own families, from the dumper's status; `now_unix`
// gives nfct_zone_dump_age_seconds.
std::vector<prometheus::MetricFamily> zone_families(const ZoneStatus& s, double now_unix);

}  // namespace nfct
