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
// Label sets are written once and kept for the next scrape (kept_labels.h), which reuses
// them while its series have the same keys: the common case, since label sets change
// only when a namespace, zone or state is seen for the first time or vanishes. A label
// set is a few fixed strings (probe, state and direction names, escaped once per render)
// and two or three integers.
#pragma once

#include <string>

#include "connections_created.h"
#include "counter_aggregate.h"
#include "kept_labels.h"
#include "metric_families.h"

namespace nfct {

// The label text render_counter_families() keeps from one scrape for the next, and the
// probe names it was written with.
struct CounterText {
  ProbeNames names;
  KeptLabels<std::tuple<uint8_t, uint32_t, uint8_t>> states;
  KeptLabels<std::tuple<uint8_t, uint32_t, uint8_t>> bits;
  KeptLabels<std::tuple<uint8_t, uint32_t, uint16_t, uint8_t, uint8_t>> zones;
  KeptLabels<std::tuple<uint8_t, uint32_t>> no_conntrack;
};

// Appends the counter families of `a` to `out`, with the label text kept in `kept` (the
// overload without writes every label set).
void render_counter_families(const Aggregates& a, const ProbeNames& names, std::string& out, CounterText& kept);
void render_counter_families(const Aggregates& a, const ProbeNames& names, std::string& out);

// Appends nfct_connections_created_total to `out`, likewise.
void render_created_connections(const CreatedConnections& created, std::string& out, KeptLabels<CreatedKey>& kept);
void render_created_connections(const CreatedConnections& created, std::string& out);

}  // namespace nfct
