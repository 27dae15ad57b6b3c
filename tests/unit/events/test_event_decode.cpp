#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <cstring>

#include "event_decode.h"

using namespace nfct;

namespace {

nfct_ev_tuple v4(const char* src, const char* dst, uint8_t proto, uint16_t su, uint16_t du) {
  nfct_ev_tuple t{};
  inet_pton(AF_INET, src, t.src);
  inet_pton(AF_INET, dst, t.dst);
  t.l3num = 2;
  t.protonum = proto;
  t.src_u = su;
  t.dst_u = du;
  return t;
}

}  // namespace

TEST_CASE("decode: a TCP record with a parent, mark and labels") {
  nfct_event rec{};
  rec.ts_ns = 1'000;
  rec.netns = 4026531833u;
  rec.probe = 1;
  rec.state = 1;  // related
  rec.base.orig = v4("10.0.1.100", "93.184.216.34", 6, htons(50000), htons(20));
  rec.base.reply = v4("93.184.216.34", "10.0.1.100", 6, htons(20), htons(50000));
  rec.base.status = 0x8;
  rec.base.zone_id = 100;
  rec.base.zone_dir = 1;
  rec.base.mark = 42;
  rec.base.labels[1] = 1ull << 6;  // label bit 70
  rec.base.tcp_state = 1;
  rec.base.flags = NFCT_EV_HAS_MARK | NFCT_EV_HAS_LABELS | NFCT_EV_IS_TCP_STATE;
  rec.has_parent = 1;
  rec.parent.orig = v4("10.0.1.100", "93.184.216.34", 6, htons(54321), htons(21));
  rec.parent.reply = v4("93.184.216.34", "10.0.1.100", 6, htons(21), htons(54321));
  rec.parent.status = 0x18a;
  rec.parent.tcp_state = 3;
  rec.parent.zone_dir = 3;
  rec.parent.flags = NFCT_EV_IS_TCP_STATE;

  auto e = decode_event(rec, {{1, "nf:ipv4:input"}}, 5'000);
  REQUIRE(e.has_value());
  CHECK(e->time_ns == 6'000);
  CHECK(e->probe == "nf:ipv4:input");
  CHECK(e->netns == 4026531833u);
  CHECK(e->state == 1);
  CHECK(e->base.orig.version == 4);
  CHECK(e->base.orig.sport == 50000);
  CHECK(e->base.orig.dport == 20);
  CHECK(e->base.reply.sport == 20);
  CHECK(e->base.orig.src[0] == 10);
  CHECK(e->base.orig.src[3] == 100);
  CHECK(e->base.orig.src[4] == 0);  // IPv4 uses only the first four bytes
  CHECK(e->base.zone_id == 100);
  CHECK(e->base.zone_dir == 1);
  CHECK(e->base.mark == 42u);
  REQUIRE(e->base.labels.has_value());
  CHECK((*e->base.labels)[0] == 0);
  CHECK((*e->base.labels)[1] == 64);
  CHECK(e->base.tcp_state == std::optional<uint8_t>(1));  // TCP_CONNTRACK_SYN_SENT, named when formatted
  REQUIRE(e->parent.has_value());
  CHECK(e->parent->orig.sport == 54321);
  CHECK(e->parent->tcp_state == std::optional<uint8_t>(3));  // TCP_CONNTRACK_ESTABLISHED
  CHECK_FALSE(e->parent->mark.has_value());
  CHECK_FALSE(e->parent->labels.has_value());
}

TEST_CASE("decode: ICMP type, code and id; no TCP state; unknown probe index") {
  nfct_event rec{};
  rec.state = 2;
  uint8_t type_code[2] = {8, 0};
  uint16_t du;
  std::memcpy(&du, type_code, 2);
  rec.base.orig = v4("10.0.0.1", "10.0.0.2", 1, htons(1234), du);
  type_code[0] = 0;
  std::memcpy(&du, type_code, 2);
  rec.base.reply = v4("10.0.0.2", "10.0.0.1", 1, htons(1234), du);
  auto e = decode_event(rec, {}, 0);
  REQUIRE(e.has_value());
  CHECK(e->probe == "index:0");
  CHECK(e->base.orig.icmp_type == 8);
  CHECK(e->base.orig.icmp_code == 0);
  CHECK(e->base.orig.icmp_id == 1234);
  CHECK(e->base.reply.icmp_type == 0);
  CHECK_FALSE(e->base.tcp_state.has_value());
  CHECK_FALSE(e->parent.has_value());
}

TEST_CASE("decode: IPv6 addresses use all 16 bytes") {
  nfct_event rec{};
  rec.state = 0;
  rec.base.orig.l3num = 10;
  rec.base.reply.l3num = 10;
  inet_pton(AF_INET6, "fd00::1", rec.base.orig.src);
  inet_pton(AF_INET6, "fd00::2", rec.base.orig.dst);
  rec.base.orig.protonum = 17;
  auto e = decode_event(rec, {}, 0);
  REQUIRE(e.has_value());
  CHECK(e->base.orig.version == 6);
  CHECK(e->base.orig.src[0] == 0xfd);
  CHECK(e->base.orig.src[15] == 1);
  CHECK(e->base.orig.dst[15] == 2);
}

TEST_CASE("decode: bad records are errors, not events") {
  nfct_event rec{};
  rec.base.orig.l3num = 2;
  rec.base.reply.l3num = 2;
  rec.state = 5;  // no such ctinfo on a packet
  CHECK_FALSE(decode_event(rec, {}, 0).has_value());
  rec.state = 0;
  rec.base.orig.l3num = 7;
  CHECK_FALSE(decode_event(rec, {}, 0).has_value());
  rec.base.orig.l3num = 2;
  rec.base.zone_dir = 4;
  CHECK_FALSE(decode_event(rec, {}, 0).has_value());
  rec.base.zone_dir = 0;
  CHECK(decode_event(rec, {}, 0).has_value());
}
