// The per-zone entry families (zone_families.h) written straight into Prometheus text,
// without building prometheus-cpp MetricFamily objects: nfct_zone_entries can hold up to
// zone_entries.max_series series per namespace.
//
// The text is the same, byte for byte, as zone_families() serialized by prometheus-cpp's
// TextSerializer (the unit tests compare them): same families in the same order, same
// labels in the same order, numbers as prometheus-cpp prints them (prom/text_format.h).
#pragma once

#include <string>

#include "zone_dumper.h"

namespace nfct {

// Appends the families of zone_families(s, now_unix) to `out`.
void render_zone_families(const ZoneStatus& s, double now_unix, std::string& out);

}  // namespace nfct
