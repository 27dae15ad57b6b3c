#include <doctest/doctest.h>

#include <thread>

#include "event_store.h"

using namespace nfct;

namespace {

Event make(uint8_t state, uint16_t zone = 0, uint8_t proto = 17, uint64_t netns = 1) {
  Event e;
  e.state = state;
  e.base.zone_id = zone;
  e.base.orig.protonum = proto;
  e.netns = netns;
  return e;
}

}  // namespace

TEST_CASE("event store: bounded, oldest first, sequence numbers") {
  EventStore s(3);
  for (int i = 0; i < 5; i++) s.push(make(2, static_cast<uint16_t>(i)));
  CHECK(s.size() == 3);
  CHECK(s.pushed() == 5);
  auto all = s.recent(100, {});
  REQUIRE(all.size() == 3);
  CHECK(all[0].seq == 3);
  CHECK(all[1].seq == 4);
  CHECK(all[2].seq == 5);
  CHECK(all[0].base.zone_id == 2);
  auto last = s.recent(2, {});
  REQUIRE(last.size() == 2);
  CHECK(last[0].seq == 4);
  CHECK(last[1].seq == 5);
}

TEST_CASE("event store: filters") {
  EventStore s(100);
  s.push(make(2, 0, 17, 1));
  s.push(make(4, 100, 1, 1));
  s.push(make(4, 7, 1, 2));
  s.push(make(0, 100, 6, 2));
  EventFilter f;
  f.state = 4;
  CHECK(s.recent(100, f).size() == 2);
  f.zone = 100;
  auto r = s.recent(100, f);
  REQUIRE(r.size() == 1);
  CHECK(r[0].seq == 2);
  EventFilter p;
  p.protonum = 6;
  CHECK(s.recent(100, p).size() == 1);
  EventFilter n;
  n.netns = 2;
  CHECK(s.recent(100, n).size() == 2);
  // The limit applies after the filter: the most recent matching ones.
  EventFilter any_icmp;
  any_icmp.protonum = 1;
  auto one = s.recent(1, any_icmp);
  REQUIRE(one.size() == 1);
  CHECK(one[0].seq == 3);
}

TEST_CASE("event store: follow sees only later events, in order, filtered") {
  EventStore s(10);
  s.push(make(2));
  EventFilter f;
  f.state = 0;
  auto sub = s.subscribe(f, 100);
  CHECK(s.followers() == 1);
  s.push(make(0));
  s.push(make(2));
  s.push(make(0));
  auto got = sub->wait(std::chrono::milliseconds(0));
  REQUIRE(got.size() == 2);
  CHECK(got[0].seq == 2);
  CHECK(got[1].seq == 4);
  CHECK(sub->take_dropped() == 0);
  sub.reset();
  CHECK(s.followers() == 0);
}

TEST_CASE("event store: a slow follower loses events, is told, and does not grow") {
  EventStore s(10);
  auto slow = s.subscribe({}, 4);
  auto fast = s.subscribe({}, 1000);
  for (int i = 0; i < 10; i++) s.push(make(2));
  auto got = slow->wait(std::chrono::milliseconds(0));
  CHECK(got.size() == 4);
  CHECK(slow->take_dropped() == 6);
  CHECK(slow->take_dropped() == 0);
  CHECK(fast->wait(std::chrono::milliseconds(0)).size() == 10);
  CHECK(s.follower_drops() == 6);
}

TEST_CASE("event store: close wakes a waiting follower") {
  EventStore s(10);
  auto sub = s.subscribe({}, 10);
  std::thread t([&] { s.close_all(); });
  auto got = sub->wait(std::chrono::milliseconds(10000));
  t.join();
  CHECK(got.empty());
  CHECK(sub->closed());
  s.push(make(2));  // not queued after close
  CHECK(sub->wait(std::chrono::milliseconds(0)).empty());
}
