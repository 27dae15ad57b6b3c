// prometheus-cpp MetricFamily objects written into Prometheus text without
// prometheus-cpp's TextSerializer: the same bytes (the unit tests compare them), without
// its std::ostream (a locale-bound stream, a printf per number and a copy of the whole
// text out of an ostringstream). For the small families the page still builds as objects
// (the exporter's own, events, namespace info, build info, connection limits).
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace nfct::text {

// Appends `families` to `out` as TextSerializer::Serialize would write them. Counters,
// gauges and untyped families are written here; a summary or histogram family goes
// through prometheus-cpp's serializer (the exporter has none).
void append_families(std::string& out, const std::vector<prometheus::MetricFamily>& families);

}  // namespace nfct::text
