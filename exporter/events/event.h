// A sampled conntrack event: the `ct` section of docs/events.md plus the exporter's own keys.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace nfct {

struct CtTuple {
  uint8_t version = 4;              // 4 or 6
  std::array<uint8_t, 16> src{};    // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> dst{};
  uint8_t protonum = 0;             // IPPROTO_*
  // tcp/udp/sctp: ports; icmp/icmpv6: type, code, id; others: unused. Host byte order.
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;
  bool operator==(const CtTuple&) const = default;
};

struct CtConn {
  uint16_t zone_id = 0;
  uint8_t zone_dir = 0;                // 0 none, 1 original, 2 reply, 3 default
  CtTuple orig;
  CtTuple reply;
  std::optional<uint8_t> tcp_state;      // enum tcp_conntrack, only for TCP; named when formatted
  std::optional<uint32_t> mark;          // nullopt: kernel without conntrack marks
  // Label bits 0..63 and 64..127; nullopt when no bit is set.
  std::optional<std::array<uint64_t, 2>> labels;
  uint64_t status = 0;
  bool operator==(const CtConn&) const = default;
};

struct Event {
  uint64_t seq = 0;         // order of arrival in the store, from 1
  int64_t time_ns = 0;      // wall clock (UNIX epoch) when the probe saw the packet
  std::string probe;        // probe name, as in the `probe` label
  uint64_t netns = 0;       // namespace inode
  uint8_t state = 0;        // ctinfo: 0..4, 7
  CtConn base;
  std::optional<CtConn> parent;
  bool operator==(const Event&) const = default;
};

}  // namespace nfct
