#include <doctest/doctest.h>

#include "events_query.h"

using namespace nfct;

namespace {

EventsQuery ok(std::string_view q) {
  auto r = parse_events_query(q);
  if (auto* e = std::get_if<QueryError>(&r)) FAIL("unexpected error for '" << q << "': " << e->parameter << ": " << e->message);
  return std::get<EventsQuery>(r);
}

QueryError bad(std::string_view q) {
  auto r = parse_events_query(q);
  REQUIRE_MESSAGE(std::holds_alternative<QueryError>(r), "expected an error for '" << q << "'");
  return std::get<QueryError>(r);
}

}  // namespace

TEST_CASE("events query: defaults") {
  auto q = ok("");
  CHECK(q.limit == 100);
  CHECK_FALSE(q.limit_given);
  CHECK(q.format == EventFormat::Json);
  CHECK_FALSE(q.follow);
  CHECK_FALSE(q.filter.state);
  CHECK_FALSE(q.filter.zone);
  CHECK_FALSE(q.filter.protonum);
  CHECK_FALSE(q.filter.netns);
}

TEST_CASE("events query: every parameter") {
  auto q = ok("limit=5&format=text&state=related_reply&zone=100&proto=icmpv6&netns=4026531833&follow=1");
  CHECK(q.limit == 5);
  CHECK(q.limit_given);
  CHECK(q.format == EventFormat::Text);
  CHECK(q.filter.state == 4);
  CHECK(q.filter.zone == 100);
  CHECK(q.filter.protonum == 58);
  CHECK(q.filter.netns == 4026531833ull);
  CHECK(q.follow);

  CHECK(ok("format=json").format == EventFormat::Json);
  CHECK(ok("format=ndjson").format == EventFormat::Ndjson);
  CHECK(ok("proto=tcp").filter.protonum == 6);
  CHECK(ok("proto=udp").filter.protonum == 17);
  CHECK(ok("proto=icmp").filter.protonum == 1);
  CHECK(ok("proto=sctp").filter.protonum == 132);
  CHECK(ok("zone=0").filter.zone == 0);
  CHECK(ok("zone=65535").filter.zone == 65535);
  CHECK(ok("limit=1000000").limit == 1000000);
  CHECK_FALSE(ok("follow=0").follow);
  const char* states[] = {"established", "related", "new", "reply", "related_reply", "untracked"};
  const uint8_t ctinfo[] = {0, 1, 2, 3, 4, 7};
  for (int i = 0; i < 6; i++) CHECK(ok(std::string("state=") + states[i]).filter.state == ctinfo[i]);
}

TEST_CASE("events query: follow defaults to ndjson and refuses json") {
  CHECK(ok("follow=1").format == EventFormat::Ndjson);
  CHECK(ok("follow=1&format=text").format == EventFormat::Text);
  auto e = bad("follow=1&format=json");
  CHECK(e.parameter == "format");
}

TEST_CASE("events query: percent-decoding and empty parts") {
  CHECK(ok("state=related%5Freply").filter.state == 4);
  CHECK(ok("&&limit=3&").limit == 3);
  CHECK(bad("state=%zz").message.find("percent") != std::string::npos);
  CHECK(bad("limit=%4").message.find("percent") != std::string::npos);
}

TEST_CASE("events query: each kind of bad value names its parameter") {
  struct Case {
    const char* query;
    const char* parameter;
  } cases[] = {
      {"limit=0", "limit"},        {"limit=-1", "limit"},          {"limit=abc", "limit"},
      {"limit=1000001", "limit"},  {"limit=", "limit"},            {"limit=5x", "limit"},
      {"format=xml", "format"},    {"format=", "format"},          {"state=NEW", "state"},
      {"state=closed", "state"},   {"zone=65536", "zone"},         {"zone=-1", "zone"},
      {"zone=a", "zone"},          {"proto=gre", "proto"},         {"proto=TCP", "proto"},
      {"netns=x", "netns"},        {"netns=4294967296", "netns"},  {"follow=yes", "follow"},
      {"follow=2", "follow"},      {"bogus=1", "bogus"},           {"limit=1&limit=2", "limit"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.query);
    auto e = bad(c.query);
    CHECK(e.parameter == c.parameter);
    CHECK_FALSE(e.message.empty());
  }
}
