// Renders the packet counter families (nfct_packets_total, nfct_bytes_total,
// nfct_status_packets_total, nfct_zone_packets_total, nfct_no_conntrack_*) and
// nfct_connections_created_total straight into Prometheus text, without building
// prometheus-cpp MetricFamily objects: at 20 000 series those objects and their
// serialization were most of a scrape's time.
//
// The text is the same, byte for byte, as counter_families() and
// created_connections_family() serialized by prometheus-cpp's TextSerializer (the unit
// tests compare them): same families in the same order, same labels in the same order,
// same number formatting (prom/text_format.h).
//
// Label sets are written as the series are: a label set is a few fixed strings (probe,
// state and direction names, escaped once per render) and two or three integers, which
// is about as fast to write as to look up in a cache, and needs no memory between scrapes.
#pragma once

#include <string>

#include "connections_created.h"
#include "counter_aggregate.h"
#include "metric_families.h"

namespace nfct {

// Appends the counter families of `a` to `out`.
void render_counter_families(const Aggregates& a, const ProbeNames& names, std::string& out);

// Appends nfct_connections_created_total to `out`.
void render_created_connections(const CreatedConnections& created, std::string& out);

}  // namespace nfct
