// A drop map entry for the drop tests (one key, one {packets, bytes} value).
#pragma once

#include <cstdint>

#include "drop_counters.h"

inline nfct::DropEntry drop_entry(uint32_t netns, uint32_t reason, uint8_t state, uint16_t zone,
                                  uint64_t packets, uint64_t bytes) {
  nfct::DropEntry e{};
  e.key.netns = netns;
  e.key.reason = reason;
  e.key.state = state;
  e.key.zone = zone;
  e.value.packets = packets;
  e.value.bytes = bytes;
  return e;
}
