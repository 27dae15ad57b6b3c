#include "ct_names.h"

#include <netinet/in.h>

#include <array>

namespace nfct {
namespace {

constexpr std::array<std::string_view, 8> kStates = {
    "established", "related", "new", "reply", "related_reply", "", "", "untracked"};

constexpr std::array<std::string_view, 16> kBits = {
    "expected",     "seen_reply",   "assured", "confirmed",     "src_nat", "dst_nat",
    "seq_adjust",   "src_nat_done", "dst_nat_done", "dying",    "fixed_timeout",
    "template",     "nat_clash",    "helper",  "offload",       "hw_offload"};

constexpr std::array<std::string_view, 4> kZoneDirs = {"none", "original", "reply", "default"};

// enum tcp_conntrack (linux/netfilter/nf_conntrack_tcp.h), TCP_CONNTRACK_NONE first.
constexpr std::array<std::string_view, 10> kTcpStates = {
    "none",       "syn_sent", "syn_recv", "established", "fin_wait",
    "close_wait", "last_ack", "time_wait", "close",      "syn_sent2"};

struct Proto {
  uint8_t num;
  std::string_view name;
};
constexpr std::array<Proto, 8> kL4Protos = {{{IPPROTO_TCP, "tcp"},
                                             {IPPROTO_UDP, "udp"},
                                             {IPPROTO_ICMP, "icmp"},
                                             {IPPROTO_ICMPV6, "icmpv6"},
                                             {IPPROTO_SCTP, "sctp"},
                                             {IPPROTO_DCCP, "dccp"},
                                             {IPPROTO_GRE, "gre"},
                                             {IPPROTO_UDPLITE, "udplite"}}};

// Tables indexed by value; an empty name marks a value without one.
template <size_t N>
std::optional<std::string_view> name_at(const std::array<std::string_view, N>& t, size_t i) {
  if (i >= N || t[i].empty()) return std::nullopt;
  return t[i];
}

template <typename T, size_t N>
std::optional<T> index_of(const std::array<std::string_view, N>& t, std::string_view name) {
  if (name.empty()) return std::nullopt;  // the unnamed slots must not match
  for (size_t i = 0; i < N; i++)
    if (t[i] == name) return static_cast<T>(i);
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> ct_state_name(uint8_t ctinfo) { return name_at(kStates, ctinfo); }
std::optional<uint8_t> ct_state_from_name(std::string_view name) { return index_of<uint8_t>(kStates, name); }

std::optional<std::string_view> ct_status_bit_name(unsigned bit) { return name_at(kBits, bit); }
std::optional<unsigned> ct_status_bit_from_name(std::string_view name) {
  return index_of<unsigned>(kBits, name);
}

std::optional<std::string_view> zone_dir_name(uint8_t dir) { return name_at(kZoneDirs, dir); }
std::optional<uint8_t> zone_dir_from_name(std::string_view name) { return index_of<uint8_t>(kZoneDirs, name); }

std::optional<std::string_view> tcp_state_name(uint8_t state) { return name_at(kTcpStates, state); }
std::optional<uint8_t> tcp_state_from_name(std::string_view name) {
  return index_of<uint8_t>(kTcpStates, name);
}

std::optional<std::string_view> l4proto_name(uint8_t protonum) {
  for (const auto& p : kL4Protos)
    if (p.num == protonum) return p.name;
  return std::nullopt;
}

std::optional<uint8_t> l4proto_from_name(std::string_view name) {
  for (const auto& p : kL4Protos)
    if (p.name == name) return p.num;
  return std::nullopt;
}

std::string l4proto_label(uint8_t protonum) {
  auto n = l4proto_name(protonum);
  return n ? std::string(*n) : std::to_string(protonum);
}

std::string tcp_state_label(uint8_t state) {
  auto n = tcp_state_name(state);
  return n ? std::string(*n) : std::to_string(state);
}

}  // namespace nfct
