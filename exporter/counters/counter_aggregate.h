// Turns counter map entries into the label sets of the pinned metrics.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "counter_reader.h"
#include "flat_map.h"

namespace nfct {

struct Aggregates {
  // (probe, netns, state) -> packets, bytes              nfct_packets_total, nfct_bytes_total
  FlatMap<std::tuple<uint8_t, uint32_t, uint8_t>, nfct_value> states;
  // (probe, netns, bit) -> packets                        nfct_status_packets_total
  FlatMap<std::tuple<uint8_t, uint32_t, uint8_t>, uint64_t> bits;
  // (probe, netns, zone, direction, state) -> packets    nfct_zone_packets_total
  FlatMap<std::tuple<uint8_t, uint32_t, uint16_t, uint8_t, uint8_t>, uint64_t> zones;
  // (probe, netns) -> packets, bytes without a conntrack entry
  FlatMap<std::tuple<uint8_t, uint32_t>, nfct_value> no_conntrack;
  // Entries whose state byte is none of the above (never set by current kernels).
  uint64_t unknown_state_packets = 0;

  void clear();  // keeps the vectors' capacity for the next scrape
};

// Status bits are summed over zones and states; zones exclude untracked packets and
// packets without a conntrack entry (they have no connection, hence no zone).
// One pass over entries sorted by key_less (as CounterReader returns them; other input is
// sorted first), every family appended in its key order.
void aggregate(const std::vector<CounterEntry>& entries, Aggregates& out);
Aggregates aggregate(const std::vector<CounterEntry>& entries);

}  // namespace nfct
