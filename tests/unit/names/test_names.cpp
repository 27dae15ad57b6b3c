// Names of conntrack states, status bits and zone directions (exporter/ct_names.h).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "ct_names.h"
#include "nfct.h"

using nfct::ct_state_from_name;
using nfct::ct_state_name;
using nfct::ct_status_bit_name;
using nfct::zone_dir_name;

TEST_SUITE("names") {

TEST_CASE("states: the kernel's enum ip_conntrack_info") {
  // IP_CT_ESTABLISHED 0, IP_CT_RELATED 1, IP_CT_NEW 2, IP_CT_IS_REPLY 3,
  // IP_CT_RELATED_REPLY 4 (= IP_CT_RELATED + IP_CT_IS_REPLY), IP_CT_UNTRACKED 7.
  CHECK(ct_state_name(0) == "established");
  CHECK(ct_state_name(1) == "related");
  CHECK(ct_state_name(2) == "new");
  CHECK(ct_state_name(3) == "reply");
  CHECK(ct_state_name(4) == "related_reply");
  CHECK(ct_state_name(7) == "untracked");
  CHECK(ct_state_name(NFCT_STATE_UNTRACKED) == "untracked");
  // IP_CT_NEW_REPLY (5) is never set on a packet; 6 is unused; 8 is "no conntrack".
  CHECK_FALSE(ct_state_name(5).has_value());
  CHECK_FALSE(ct_state_name(6).has_value());
  CHECK_FALSE(ct_state_name(8).has_value());
  CHECK_FALSE(ct_state_name(NFCT_STATE_NO_CT).has_value());
  CHECK_FALSE(ct_state_name(9).has_value());
  CHECK_FALSE(ct_state_name(255).has_value());
}

TEST_CASE("state names map back to their ctinfo") {
  for (uint8_t ctinfo : {0, 1, 2, 3, 4, 7}) {
    CAPTURE(int(ctinfo));
    auto name = ct_state_name(ctinfo);
    REQUIRE(name.has_value());
    CHECK(ct_state_from_name(*name) == ctinfo);
  }
  CHECK(ct_state_from_name("new") == uint8_t{2});
  CHECK(ct_state_from_name("untracked") == uint8_t{7});
  // The unnamed slots must not match the empty string.
  CHECK_FALSE(ct_state_from_name("").has_value());
  CHECK_FALSE(ct_state_from_name("NEW").has_value());
  CHECK_FALSE(ct_state_from_name("none").has_value());
  CHECK_FALSE(ct_state_from_name("new_reply").has_value());
  CHECK_FALSE(ct_state_from_name("established ").has_value());
}

TEST_CASE("status bits: IPS_*_BIT 0 to 15 in kernel order") {
  const char* const expected[] = {"expected",     "seen_reply",   "assured",      "confirmed",
                                  "src_nat",      "dst_nat",      "seq_adjust",   "src_nat_done",
                                  "dst_nat_done", "dying",        "fixed_timeout", "template",
                                  "nat_clash",    "helper",       "offload",      "hw_offload"};
  static_assert(sizeof(expected) / sizeof(expected[0]) == NFCT_STATUS_BITS);
  std::set<std::string> distinct;
  for (unsigned bit = 0; bit < 16; bit++) {
    CAPTURE(bit);
    CHECK(ct_status_bit_name(bit) == expected[bit]);
    if (auto n = ct_status_bit_name(bit)) distinct.insert(std::string(*n));
  }
  CHECK(distinct.size() == 16);
  // Spot checks against the kernel's numbers.
  CHECK(ct_status_bit_name(3) == "confirmed");   // IPS_CONFIRMED_BIT
  CHECK(ct_status_bit_name(9) == "dying");       // IPS_DYING_BIT
  CHECK(ct_status_bit_name(12) == "nat_clash");  // IPS_NAT_CLASH_BIT
  CHECK(ct_status_bit_name(15) == "hw_offload"); // IPS_HW_OFFLOAD_BIT
  CHECK_FALSE(ct_status_bit_name(16).has_value());
  CHECK_FALSE(ct_status_bit_name(31).has_value());
  CHECK_FALSE(ct_status_bit_name(~0u).has_value());
}

TEST_CASE("zone directions") {
  // NF_CT_ZONE_DIR_ORIG 1, NF_CT_ZONE_DIR_REPL 2, NF_CT_DEFAULT_ZONE_DIR 3.
  CHECK(zone_dir_name(0) == "none");
  CHECK(zone_dir_name(1) == "original");
  CHECK(zone_dir_name(2) == "reply");
  CHECK(zone_dir_name(3) == "default");
  CHECK_FALSE(zone_dir_name(4).has_value());
  CHECK_FALSE(zone_dir_name(255).has_value());
}

}  // TEST_SUITE
