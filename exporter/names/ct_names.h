// Every conntrack name, defined once: conntrack states, status bits and zone directions
// (the `state`, `bit` and `direction` labels and the events), layer 4 protocols and TCP
// states (the `protocol` and `tcp_state` labels of the zone entries, and the events).
// Each kind has a value-to-name and a name-to-value function; nullopt for what has no name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nfct {

// ctinfo 0..4 and 7; nullopt for values the kernel never sets on a packet.
std::optional<std::string_view> ct_state_name(uint8_t ctinfo);
std::optional<uint8_t> ct_state_from_name(std::string_view name);

// IPS_*_BIT 0..15; nullopt above.
std::optional<std::string_view> ct_status_bit_name(unsigned bit);
std::optional<unsigned> ct_status_bit_from_name(std::string_view name);

// Zone direction bits 0..3 (none, original, reply, default); nullopt above.
std::optional<std::string_view> zone_dir_name(uint8_t dir);
std::optional<uint8_t> zone_dir_from_name(std::string_view name);

// IPPROTO_*: tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite; nullopt for the others.
std::optional<std::string_view> l4proto_name(uint8_t protonum);
std::optional<uint8_t> l4proto_from_name(std::string_view name);

// The kernel's enum tcp_conntrack in lower case: 0 none .. 9 syn_sent2; nullopt above.
std::optional<std::string_view> tcp_state_name(uint8_t state);
std::optional<uint8_t> tcp_state_from_name(std::string_view name);

// Label values that always have a value: the name, or the number in decimal.
std::string l4proto_label(uint8_t protonum);
std::string tcp_state_label(uint8_t state);

}  // namespace nfct
