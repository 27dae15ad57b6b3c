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

// CLOCK_REALTIME minus CLOCK_MONOTONIC, now.
int64_t monotonic_to_wall_offset_ns();

}  // namespace nfct
