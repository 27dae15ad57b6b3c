// Turns counter map entries into the label sets of the pinned metrics.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "counter_reader.h"

namespace nfct {

struct PacketsBytes {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct Aggregates {
  // (probe, netns, state) -> packets, bytes              nfct_packets_total, nfct_bytes_total
  std::map<std::tuple<uint8_t, uint32_t, uint8_t>, PacketsBytes> states;
  // (probe, netns, bit) -> packets                        nfct_status_packets_total
  std::map<std::tuple<uint8_t, uint32_t, uint8_t>, uint64_t> bits;
  // (probe, netns, zone, direction, state) -> packets    nfct_zone_packets_total
  std::map<std::tuple<uint8_t, uint32_t, uint16_t, uint8_t, uint8_t>, uint64_t> zones;
  // (probe, netns) -> packets, bytes without a conntrack entry
  std::map<std::tuple<uint8_t, uint32_t>, PacketsBytes> no_conntrack;
  // Entries whose state byte is none of the above (never set by current kernels).
  uint64_t unknown_state_packets = 0;
};

// Status bits are summed over zones and states; zones exclude untracked packets and
// packets without a conntrack entry (they have no connection, hence no zone).
Aggregates aggregate(const std::vector<CounterEntry>& entries);

}  // namespace nfct
