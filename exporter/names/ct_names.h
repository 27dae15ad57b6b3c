// Names of conntrack states, status bits and zone directions, as they appear in the
// `state`, `bit` and `direction` labels and in events (interface.md, events.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nfct {

// ctinfo 0..4 and 7; nullopt for values the kernel never sets on a packet.
std::optional<std::string_view> ct_state_name(uint8_t ctinfo);
std::optional<uint8_t> ct_state_from_name(std::string_view name);

// IPS_*_BIT 0..15; nullopt above.
std::optional<std::string_view> ct_status_bit_name(unsigned bit);

// Zone direction bits 0..3 (none, original, reply, default); nullopt above.
std::optional<std::string_view> zone_dir_name(uint8_t dir);

}  // namespace nfct
