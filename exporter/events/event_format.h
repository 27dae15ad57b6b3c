// The JSON and text forms of a sampled conntrack event (docs/events.md; schema:
// docs/events.schema.json).
//
// Values the kernel never produces (a state other than 0..4 and 7, a zone direction above
// 3, an IP version other than 4 and 6) are written as JSON null, so that the schema
// rejects them instead of the exporter inventing a name. A TCP connection whose
// tcp_state is unknown (nullopt) is written as null in JSON and "tcp (?)" in text.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "event.h"

namespace nfct {

// The `ct` section: {state, base, parent}; base and parent are
// {zone_id, zone_dir, orig, reply, tcp_state, mark, labels, ct_status};
// a tuple is {ip: {src, dst, version}, proto: {<name>: {...}}}. Every key is always present.
nlohmann::ordered_json ct_to_json(const Event& e);

// A whole event: {time, seq, probe, netns, ct}. time is RFC 3339 UTC with nanoseconds,
// e.g. "2026-11-26T23:01:22.123456789Z".
nlohmann::ordered_json event_to_json(const Event& e);

// The display format of docs/events.md: one line, plus "\n\\ parent [...]" when there is a
// parent. No trailing newline.
std::string event_to_text(const Event& e);

// RFC 3339 UTC with 9 fractional digits, e.g. 0 -> "1970-01-01T00:00:00.000000000Z".
std::string format_time_ns(int64_t time_ns);

// "0x" and 16 lowercase hex digits of bits[0] (label bits 0..63), or 32 digits (bits[1]
// first) when any bit of bits[1] (label bits 64..127) is set.
std::string format_labels(const std::array<uint64_t, 2>& bits);

// The protocols with their own key in the `proto` object: 6 tcp, 17 udp, 132 sctp (ports),
// 1 icmp, 58 icmpv6 (type, code, id); nullopt for every other protocol ("other").
std::optional<std::string_view> ct_proto_name(uint8_t protonum);
std::optional<uint8_t> ct_proto_from_name(std::string_view name);

// The TCP state as events write it: the kernel's name in upper case ("ESTABLISHED");
// nullopt for a state number without a name.
std::optional<std::string> event_tcp_state_name(uint8_t state);

}  // namespace nfct
