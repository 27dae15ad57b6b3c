// nfct_connections_created_total: connections a namespace's conntrack created, derived at
// collect time from the counter entries (no BPF change).
//
// A conntrack entry is created unconfirmed by the packet that opens it and confirmed by
// that same packet at the last netfilter hook it passes in the namespace (priority
// INT_MAX at input or postrouting). The exporter's netfilter programs run at INT_MAX - 2,
// before that: the opening packet is the one packet of a connection that a probe at input
// or postrouting sees with the `confirmed` bit clear, in state `new` (or `related` for a
// connection an expectation created). Every later packet, a retransmitted first packet
// included, finds the confirmed entry. So the sum of the entries with state new|related
// and confirmed clear, over the probes nf:ipv4|ipv6:input|postrouting, counts each
// created connection once. Other probes are left out: at prerouting and forward the
// opening packet is also unconfirmed and would be counted twice, tracepoints see packets
// at other times. The README says what the count means for other probe sets.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <tuple>
#include <vector>

#include "counter_reader.h"
#include "flat_map.h"

namespace nfct {

// (netns, zone id, zone direction) -> connections created.
using CreatedKey = std::tuple<uint32_t, uint16_t, uint8_t>;
using CreatedConnections = FlatMap<CreatedKey, uint64_t>;

inline constexpr const char* kCreatedConnectionsName = "nfct_connections_created_total";
inline constexpr const char* kCreatedConnectionsHelp =
    "Connections this namespace's conntrack created: opening packets seen unconfirmed "
    "at the input and postrouting probes, by the connection's zone.";

// Whether a probe index is one whose unconfirmed packets are opening packets:
// nf:ipv4:input, nf:ipv4:postrouting, nf:ipv6:input, nf:ipv6:postrouting.
bool probe_sees_confirmation(uint8_t probe_index);

CreatedConnections created_connections(const std::vector<CounterEntry>& entries);
// The same into `out`, reusing its memory.
void created_connections(const std::vector<CounterEntry>& entries, CreatedConnections& out);

// The prometheus-cpp form of the family (render_created_connections() writes the same text).

prometheus::MetricFamily created_connections_family(const CreatedConnections& created);

}  // namespace nfct
