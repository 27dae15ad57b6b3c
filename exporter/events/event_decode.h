// Decoding of ring buffer records (struct nfct_event) into events.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "event.h"
#include "expected.h"
#include "nfct.h"

namespace nfct {

// `mono_to_wall_ns` converts the record's CLOCK_MONOTONIC stamp to the UNIX epoch.
Expected<Event> decode_event(const nfct_event& rec, const std::map<uint8_t, std::string>& probe_names,
                             int64_t mono_to_wall_ns);

// The record's CLOCK_MONOTONIC stamp on the UNIX epoch; an error when the sum does not fit
// in a signed 64-bit value (only a corrupt record comes near: 2^63 ns is 292 years).
Expected<int64_t> wall_time_ns(uint64_t mono_ns, int64_t mono_to_wall_ns);

// CLOCK_REALTIME minus CLOCK_MONOTONIC, now.
int64_t monotonic_to_wall_offset_ns();

}  // namespace nfct
