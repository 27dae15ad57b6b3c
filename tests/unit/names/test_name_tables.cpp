// Every conntrack name table (ct_names.h), iterated both ways: each named value maps to
// its name and back, names are distinct, and nothing outside the table has a name.
#include <doctest/doctest.h>

#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "ct_names.h"

namespace {

// Walks values 0..limit-1 (limit 256 for byte-sized kinds): every value with a name maps
// back to itself, every name is distinct and non-empty. Returns how many values have names.
template <typename T>
size_t check_both_ways(unsigned limit, const std::function<std::optional<std::string_view>(T)>& name,
                       const std::function<std::optional<T>(std::string_view)>& from_name) {
  std::set<std::string> seen;
  for (unsigned v = 0; v < limit; v++) {
    CAPTURE(v);
    auto n = name(static_cast<T>(v));
    if (!n) continue;
    CHECK_FALSE(n->empty());
    CHECK(seen.insert(std::string(*n)).second);
    CHECK(from_name(*n) == std::optional<T>(static_cast<T>(v)));
  }
  CHECK_FALSE(from_name("").has_value());
  CHECK_FALSE(from_name("no_such_name").has_value());
  return seen.size();
}

}  // namespace

TEST_SUITE("names") {

TEST_CASE("each conntrack name table maps values to names and back") {
  CHECK(check_both_ways<uint8_t>(256, nfct::ct_state_name, nfct::ct_state_from_name) == 6);
  CHECK(check_both_ways<unsigned>(64, nfct::ct_status_bit_name, nfct::ct_status_bit_from_name) == 16);
  CHECK(check_both_ways<uint8_t>(256, nfct::zone_dir_name, nfct::zone_dir_from_name) == 4);
  CHECK(check_both_ways<uint8_t>(256, nfct::l4proto_name, nfct::l4proto_from_name) == 8);
  CHECK(check_both_ways<uint8_t>(256, nfct::tcp_state_name, nfct::tcp_state_from_name) == 10);
}

TEST_CASE("layer 4 protocols and TCP states against the kernel's numbers") {
  CHECK(nfct::l4proto_name(IPPROTO_TCP) == "tcp");
  CHECK(nfct::l4proto_name(IPPROTO_UDP) == "udp");
  CHECK(nfct::l4proto_name(IPPROTO_ICMP) == "icmp");
  CHECK(nfct::l4proto_name(IPPROTO_ICMPV6) == "icmpv6");
  CHECK(nfct::l4proto_name(IPPROTO_SCTP) == "sctp");
  CHECK(nfct::l4proto_name(IPPROTO_DCCP) == "dccp");
  CHECK(nfct::l4proto_name(IPPROTO_GRE) == "gre");
  CHECK(nfct::l4proto_name(IPPROTO_UDPLITE) == "udplite");
  CHECK_FALSE(nfct::l4proto_name(IPPROTO_ESP).has_value());
  CHECK(nfct::l4proto_label(IPPROTO_ESP) == "50");

  CHECK(nfct::tcp_state_name(TCP_CONNTRACK_NONE) == "none");
  CHECK(nfct::tcp_state_name(TCP_CONNTRACK_SYN_RECV) == "syn_recv");
  CHECK(nfct::tcp_state_name(TCP_CONNTRACK_CLOSE_WAIT) == "close_wait");
  CHECK(nfct::tcp_state_name(TCP_CONNTRACK_SYN_SENT2) == "syn_sent2");
  CHECK_FALSE(nfct::tcp_state_name(TCP_CONNTRACK_SYN_SENT2 + 1).has_value());
  CHECK(nfct::tcp_state_label(TCP_CONNTRACK_SYN_SENT2 + 1) == "10");
  // Names are case-sensitive: the events' upper-case spelling is made when formatting.
  CHECK_FALSE(nfct::tcp_state_from_name("ESTABLISHED").has_value());
}

}  // TEST_SUITE
