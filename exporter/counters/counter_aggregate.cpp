#include "counter_aggregate.h"

#include "ct_names.h"

namespace nfct {

Aggregates aggregate(const std::vector<CounterEntry>& entries) {
  Aggregates a;
  for (const auto& [k, v] : entries) {
    if (k.state == NFCT_STATE_NO_CT) {
      auto& nc = a.no_conntrack[{k.probe, k.netns}];
      nc.packets += v.packets;
      nc.bytes += v.bytes;
      continue;
    }
    if (!ct_state_name(k.state)) {
      a.unknown_state_packets += v.packets;
      continue;
    }
    auto& s = a.states[{k.probe, k.netns, k.state}];
    s.packets += v.packets;
    s.bytes += v.bytes;
    for (uint8_t b = 0; b < NFCT_STATUS_BITS; b++)
      if (k.status & (1u << b) && v.packets) a.bits[{k.probe, k.netns, b}] += v.packets;
    if (k.state != NFCT_STATE_UNTRACKED)
      a.zones[{k.probe, k.netns, k.zone, k.zone_dir, k.state}] += v.packets;
  }
  return a;
}

}  // namespace nfct
