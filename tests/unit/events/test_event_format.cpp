// Unit tests of the event formats (docs/events.md): its four examples,
// JSON <-> Event round trips, the text display format, and the errors of the JSON parser.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "event.h"
#include "ct_json_parser.h"
#include "event_format.h"

using nfct::CtConn;
using nfct::CtTuple;
using nfct::Event;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

// The `ct` objects of four JSON examples as first written down, before docs/events.md
// settled their small disagreements (normalise() below).
const char* const kExample1 = R"JSON({
    "state": "established",
    "base": {
      "zone_id": 0,
      "zone_dir": "none",
      "orig": {
        "ip": {
          "src": "10.0.1.100",
          "dst": "93.184.216.34",
          "version": "v4"
        },
        "proto": {
          "tcp": {
            "sport": 54321,
            "dport": 80
          }
        }
      },
      "reply": {
        "ip": {
          "src": "93.184.216.34",
          "dst": "10.0.1.100",
          "version": "v4"
        },
        "proto": {
          "tcp": {
            "sport": 80,
            "dport": 54321
          }
        }
      },
      "tcp_state": "ESTABLISHED",
      "mark": 0,
      "ct_status": 394
    },
    "parent": null
  })JSON";

const char* const kExample2 = R"JSON({
    "state": "new",
    "base": {
      "zone_id": 100,
      "zone_dir": "original",
      "orig": {
        "ip": {
          "src": "10.0.1.100",
          "dst": "8.8.8.8",
          "version": "v4"
        },
        "proto": {
          "udp": {
            "sport": 45678,
            "dport": 53
          }
        }
      },
      "reply": {
        "ip": {
          "src": "8.8.8.8",
          "dst": "10.0.1.100",
          "version": "v4"
        },
        "proto": {
          "udp": {
            "sport": 53,
            "dport": 45678
          }
        }
      },
      "tcp_state": null,
      "mark": 42,
      "labels": "0x0000000000000001",
      "ct_status": 8
    },
    "parent": null
  })JSON";

const char* const kExample3 = R"JSON({
    "state": "new",
    "base": {
      "zone_id": 0,
      "zone_dir": "none",
      "orig": {
        "ip": {
          "src": "10.0.1.100",
          "dst": "1.1.1.1",
          "version": "v4"
        },
        "proto": {
          "icmp": {
            "type": 8,
            "code": 0,
            "id": 1234
          }
        }
      },
      "reply": {
        "ip": {
          "src": "1.1.1.1",
          "dst": "10.0.1.100",
          "version": "v4"
        },
        "proto": {
          "icmp": {
            "type": 0,
            "code": 0,
            "id": 1234
          }
        }
      },
      "tcp_state": null,
      "mark": null,
      "labels": null,
      "ct_status": 8
    },
    "parent": null
  })JSON";

const char* const kExample4 = R"JSON({
    "state": "related",
    "base": {
      "zone_id": 0,
      "zone_dir": "none",
      "orig": {
        "ip": {
          "src": "10.0.1.100",
          "dst": "93.184.216.34",
          "version": "v4"
        },
        "proto": {
          "tcp": {
            "sport": 50000,
            "dport": 20
          }
        }
      },
      "reply": {
        "ip": {
          "src": "93.184.216.34",
          "dst": "10.0.1.100",
          "version": "v4"
        },
        "proto": {
          "tcp": {
            "sport": 20,
            "dport": 50000
          }
        }
      },
      "tcp_state": "SYN_SENT",
      "mark": null,
      "ct_status": 8
    },
    "parent": {
      "zone_id": 0,
      "zone_dir": "none",
      "orig": {
        "ip": {
          "src": "10.0.1.100",
          "dst": "93.184.216.34",
          "version": "v4"
        },
        "proto": {
          "tcp": {
            "sport": 54321,
            "dport": 21
          }
        }
      },
      "reply": {
        "ip": {
          "src": "93.184.216.34",
          "dst": "10.0.1.100",
          "version": "v4"
        },
        "proto": {
          "tcp": {
            "sport": 21,
            "dport": 54321
          }
        }
      },
      "tcp_state": "ESTABLISHED",
      "mark": null,
      "ct_status": 394
    }
  })JSON";

// The same four as text, from docs/events.md.
const char* const kText1 =
    "ct_state ESTABLISHED status 0x18a tcp (ESTABLISHED) orig [10.0.1.100.54321 > "
    "93.184.216.34.80] reply [93.184.216.34.80 > 10.0.1.100.54321] mark 0";
const char* const kText2 =
    "ct_state NEW status 0x8 udp orig [10.0.1.100.45678 > 8.8.8.8.53] reply [8.8.8.8.53 > "
    "10.0.1.100.45678] orig-zone 100 mark 42 labels 0x0000000000000001";
const char* const kText3 =
    "ct_state NEW status 0x8 icmp orig [10.0.1.100 > 1.1.1.1 type 8 code 0 id 1234] reply "
    "[1.1.1.1 > 10.0.1.100 type 0 code 0 id 1234]";
const char* const kText4 =
    "ct_state RELATED status 0x8 tcp (SYN_SENT) orig [10.0.1.100.50000 > 93.184.216.34.20] "
    "reply [93.184.216.34.20 > 10.0.1.100.50000]\n"
    "\\ parent [status 0x18a tcp (ESTABLISHED) orig [10.0.1.100.54321 > 93.184.216.34.21] "
    "reply [93.184.216.34.21 > 10.0.1.100.54321]]";

struct Example {
  const char* json;
  const char* text;
};
const std::vector<Example> kExamples = {
    {kExample1, kText1}, {kExample2, kText2}, {kExample3, kText3}, {kExample4, kText4}};

Event parse_ok(const json& ct) {
  auto r = nfct::event_from_ct_json(ct);
  INFO(ct.dump());
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? std::string() : r.error()));
  return *r;
}

// docs/events.md: every key is always present; the examples omit "labels" in two places.
json normalise(json ct) {
  for (const char* c : {"base", "parent"})
    if (ct.contains(c) && ct[c].is_object() && !ct[c].contains("labels")) ct[c]["labels"] = nullptr;
  if (!ct.contains("parent")) ct["parent"] = nullptr;
  return ct;
}

std::array<uint8_t, 16> v4(const char* s) {
  std::array<uint8_t, 16> a{};
  REQUIRE(inet_pton(AF_INET, s, a.data()) == 1);
  return a;
}
std::array<uint8_t, 16> v6(const char* s) {
  std::array<uint8_t, 16> a{};
  REQUIRE(inet_pton(AF_INET6, s, a.data()) == 1);
  return a;
}

CtTuple tuple(uint8_t version, std::array<uint8_t, 16> src, std::array<uint8_t, 16> dst,
              uint8_t protonum, uint16_t sport = 0, uint16_t dport = 0) {
  CtTuple t;
  t.version = version;
  t.src = src;
  t.dst = dst;
  t.protonum = protonum;
  t.sport = sport;
  t.dport = dport;
  return t;
}

// A plain v4 UDP event, to be varied by the tests below.
Event udp_event() {
  Event e;
  e.state = 2;  // new
  e.base.zone_dir = 0;
  e.base.orig = tuple(4, v4("192.0.2.1"), v4("198.51.100.7"), 17, 40000, 53);
  e.base.reply = tuple(4, v4("198.51.100.7"), v4("192.0.2.1"), 17, 53, 40000);
  e.base.mark = 0;
  e.base.status = 0x8;
  return e;
}

json to_json(const Event& e) { return json(nfct::ct_to_json(e)); }

// JSON -> Event -> JSON and Event -> JSON -> Event.
void check_round_trip(const Event& e) {
  json j = to_json(e);
  Event back = parse_ok(j);
  CHECK(back == e);
  CHECK(to_json(back) == j);
}

// Parses `ct` and checks that it fails with an error naming `path`.
void check_error(const json& ct, const std::string& path) {
  auto r = nfct::event_from_ct_json(ct);
  INFO("input: ", ct.dump());
  REQUIRE_FALSE(r.has_value());
  INFO("error: ", r.error());
  CHECK(r.error().rfind(path + ": ", 0) == 0);
  // ... and says what was expected (or which key is missing or unexpected).
  bool explains = r.error().find("expected") != std::string::npos ||
                  r.error().find("missing") != std::string::npos;
  CHECK(explains);
}

json with(const char* example, const std::string& pointer, json value) {
  json j = json::parse(example);
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

json without(const char* example, const std::string& parent, const std::string& key) {
  json j = json::parse(example);
  if (parent.empty())
    j.erase(key);
  else
    j[json::json_pointer(parent)].erase(key);
  return j;
}

}  // namespace

TEST_SUITE("event_format") {

TEST_CASE("the four JSON examples print as the text lines of docs/events.md") {
  for (const auto& ex : kExamples) {
    Event e = parse_ok(json::parse(ex.json));
    CHECK(nfct::event_to_text(e) == ex.text);
  }
}

TEST_CASE("the four examples parse into the expected model") {
  Event e1 = parse_ok(json::parse(kExample1));
  CHECK(e1.state == 0);
  CHECK(e1.base.zone_dir == 0);
  CHECK(e1.base.orig.version == 4);
  CHECK(e1.base.orig.src == v4("10.0.1.100"));
  CHECK(e1.base.orig.dst == v4("93.184.216.34"));
  CHECK(e1.base.orig.protonum == 6);
  CHECK(e1.base.orig.sport == 54321);
  CHECK(e1.base.orig.dport == 80);
  CHECK(e1.base.reply.sport == 80);
  CHECK(e1.base.tcp_state == std::optional<uint8_t>(TCP_CONNTRACK_ESTABLISHED));
  CHECK(e1.base.mark == std::optional<uint32_t>(0));
  CHECK_FALSE(e1.base.labels.has_value());
  CHECK(e1.base.status == 394);
  CHECK_FALSE(e1.parent.has_value());

  Event e2 = parse_ok(json::parse(kExample2));
  CHECK(e2.state == 2);
  CHECK(e2.base.zone_id == 100);
  CHECK(e2.base.zone_dir == 1);
  CHECK(e2.base.orig.protonum == 17);
  CHECK_FALSE(e2.base.tcp_state.has_value());
  CHECK(e2.base.mark == std::optional<uint32_t>(42));
  REQUIRE(e2.base.labels.has_value());
  CHECK((*e2.base.labels)[0] == 1);
  CHECK((*e2.base.labels)[1] == 0);

  Event e3 = parse_ok(json::parse(kExample3));
  CHECK(e3.base.orig.protonum == 1);
  CHECK(e3.base.orig.icmp_type == 8);
  CHECK(e3.base.orig.icmp_code == 0);
  CHECK(e3.base.orig.icmp_id == 1234);
  CHECK(e3.base.reply.icmp_type == 0);
  CHECK_FALSE(e3.base.mark.has_value());

  Event e4 = parse_ok(json::parse(kExample4));
  CHECK(e4.state == 1);
  CHECK(e4.base.tcp_state == std::optional<uint8_t>(TCP_CONNTRACK_SYN_SENT));
  REQUIRE(e4.parent.has_value());
  CHECK(e4.parent->orig.sport == 54321);
  CHECK(e4.parent->orig.dport == 21);
  CHECK(e4.parent->status == 394);
  CHECK(e4.parent->tcp_state == std::optional<uint8_t>(TCP_CONNTRACK_ESTABLISHED));
}

TEST_CASE("the four examples round-trip through the model") {
  for (const auto& ex : kExamples) {
    json x = json::parse(ex.json);
    Event e = parse_ok(x);
    CHECK(to_json(e) == normalise(x));
    Event back = parse_ok(to_json(e));
    CHECK(back == e);
    // ct_to_json's ordered_json converts implicitly for the parser.
    auto direct = nfct::event_from_ct_json(nfct::ct_to_json(e));
    REQUIRE(direct.has_value());
    CHECK(*direct == e);
  }
}

TEST_CASE("ct_to_json writes the keys in the order of docs/events.md, every key present") {
  // Examples 2 and 3 hold every key in the documented order: the dump must be identical.
  for (const char* ex : {kExample2, kExample3}) {
    Event e = parse_ok(json::parse(ex));
    CHECK(nfct::ct_to_json(e).dump() == ojson::parse(ex).dump());
  }
  Event e4 = parse_ok(json::parse(kExample4));
  ojson j = nfct::ct_to_json(e4);
  std::vector<std::string> top, conn, tuple_keys, ip_keys, tcp_keys;
  for (auto it = j.begin(); it != j.end(); ++it) top.push_back(it.key());
  for (auto it = j["parent"].begin(); it != j["parent"].end(); ++it) conn.push_back(it.key());
  for (auto it = j["base"]["orig"].begin(); it != j["base"]["orig"].end(); ++it)
    tuple_keys.push_back(it.key());
  for (auto it = j["base"]["orig"]["ip"].begin(); it != j["base"]["orig"]["ip"].end(); ++it)
    ip_keys.push_back(it.key());
  auto& tcp = j["base"]["orig"]["proto"]["tcp"];
  for (auto it = tcp.begin(); it != tcp.end(); ++it) tcp_keys.push_back(it.key());
  CHECK(top == std::vector<std::string>{"state", "base", "parent"});
  CHECK(conn == std::vector<std::string>{"zone_id", "zone_dir", "orig", "reply", "tcp_state",
                                         "mark", "labels", "ct_status"});
  CHECK(tuple_keys == std::vector<std::string>{"ip", "proto"});
  CHECK(ip_keys == std::vector<std::string>{"src", "dst", "version"});
  CHECK(tcp_keys == std::vector<std::string>{"sport", "dport"});
  CHECK(j["base"]["labels"].is_null());
  CHECK(j["parent"]["labels"].is_null());
  CHECK(j["parent"]["mark"].is_null());
}

TEST_CASE("missing labels and parent keys are read as null") {
  json x = json::parse(kExample1);
  x.erase("parent");
  Event e = parse_ok(x);
  CHECK_FALSE(e.parent.has_value());
  CHECK_FALSE(e.base.labels.has_value());
  CHECK(to_json(e)["parent"].is_null());
  CHECK(to_json(e)["base"].contains("labels"));
}

TEST_CASE("IPv6 tuples: version v6, inet_ntop addresses, .port in text") {
  Event e;
  e.state = 0;
  e.base.orig = tuple(6, v6("2001:db8::1"), v6("2001:db8:0:1::2"), 6, 443, 51000);
  e.base.reply = tuple(6, v6("2001:db8:0:1::2"), v6("2001:db8::1"), 6, 51000, 443);
  e.base.tcp_state = TCP_CONNTRACK_TIME_WAIT;
  e.base.mark = 7;
  e.base.status = 0x19e;
  json j = to_json(e);
  CHECK(j["base"]["orig"]["ip"] ==
        json::parse(R"({"src":"2001:db8::1","dst":"2001:db8:0:1::2","version":"v6"})"));
  CHECK(j["base"]["reply"]["ip"]["version"] == "v6");
  CHECK(nfct::event_to_text(e) ==
        "ct_state ESTABLISHED status 0x19e tcp (TIME_WAIT) orig [2001:db8::1.443 > "
        "2001:db8:0:1::2.51000] reply [2001:db8:0:1::2.51000 > 2001:db8::1.443] mark 7");
  check_round_trip(e);

  // inet_ntop's forms: compressed zeros, v4-mapped, the unspecified address.
  e.base.orig.src = v6("::ffff:192.0.2.1");
  e.base.orig.dst = v6("::");
  j = to_json(e);
  CHECK(j["base"]["orig"]["ip"]["src"] == "::ffff:192.0.2.1");
  CHECK(j["base"]["orig"]["ip"]["dst"] == "::");
  check_round_trip(e);
}

TEST_CASE("IPv4 addresses are read from the first four bytes only") {
  Event e = udp_event();
  CHECK(to_json(e)["base"]["orig"]["ip"]["src"] == "192.0.2.1");
  Event parsed = parse_ok(to_json(e));
  for (size_t i = 4; i < 16; i++) CHECK(parsed.base.orig.src[i] == 0);
}

TEST_CASE("labels: low bits only, high bits, none") {
  Event e = udp_event();

  SUBCASE("low 64 bits only: 16 digits") {
    e.base.labels = std::array<uint64_t, 2>{0x8000000000000abcULL, 0};
    CHECK(to_json(e)["base"]["labels"] == "0x8000000000000abc");
    CHECK(nfct::event_to_text(e).ends_with(" mark 0 labels 0x8000000000000abc"));
    check_round_trip(e);
  }
  SUBCASE("a bit above 63: 32 digits, upper word first") {
    e.base.labels = std::array<uint64_t, 2>{0x1ULL, 0x2ULL};
    CHECK(to_json(e)["base"]["labels"] == "0x00000000000000020000000000000001");
    CHECK(nfct::event_to_text(e).ends_with(" labels 0x00000000000000020000000000000001"));
    check_round_trip(e);
    e.base.labels = std::array<uint64_t, 2>{0, 0xFFFFFFFFFFFFFFFFULL};
    CHECK(to_json(e)["base"]["labels"] == "0xffffffffffffffff0000000000000000");
    check_round_trip(e);
  }
  SUBCASE("no label: null and no labels token") {
    e.base.labels.reset();
    CHECK(to_json(e)["base"]["labels"].is_null());
    CHECK(nfct::event_to_text(e).find("labels") == std::string::npos);
    check_round_trip(e);
  }
  SUBCASE("labels present but no bit set are written as null (docs/events.md)") {
    e.base.labels = std::array<uint64_t, 2>{0, 0};
    CHECK(to_json(e)["base"]["labels"].is_null());
    CHECK(nfct::event_to_text(e).find("labels") == std::string::npos);
  }
}

TEST_CASE("format_labels") {
  CHECK(nfct::format_labels({0, 0}) == "0x0000000000000000");
  CHECK(nfct::format_labels({1, 0}) == "0x0000000000000001");
  CHECK(nfct::format_labels({0xDEADBEEFULL, 0}) == "0x00000000deadbeef");
  CHECK(nfct::format_labels({0, 1}) == "0x00000000000000010000000000000000");
  CHECK(nfct::format_labels({0x0123456789abcdefULL, 0xfedcba9876543210ULL}) ==
        "0xfedcba98765432100123456789abcdef");
}

TEST_CASE("mark: null has no mark token, the full 32-bit range is kept") {
  Event e = udp_event();
  e.base.mark.reset();
  CHECK(to_json(e)["base"]["mark"].is_null());
  CHECK(nfct::event_to_text(e).find("mark") == std::string::npos);
  CHECK(nfct::event_to_text(e).ends_with("reply [198.51.100.7.53 > 192.0.2.1.40000]"));
  check_round_trip(e);
  e.base.mark = 0xffffffffu;
  CHECK(to_json(e)["base"]["mark"] == 4294967295u);
  CHECK(nfct::event_to_text(e).ends_with(" mark 4294967295"));
  check_round_trip(e);
}

TEST_CASE("all six states, in JSON and capitalised in text") {
  const std::vector<std::pair<uint8_t, std::pair<const char*, const char*>>> states = {
      {0, {"established", "ESTABLISHED"}}, {1, {"related", "RELATED"}},
      {2, {"new", "NEW"}},                 {3, {"reply", "REPLY"}},
      {4, {"related_reply", "RELATED_REPLY"}}, {7, {"untracked", "UNTRACKED"}}};
  for (const auto& [ctinfo, names] : states) {
    Event e = udp_event();
    e.state = ctinfo;
    CHECK(to_json(e)["state"] == names.first);
    CHECK(nfct::event_to_text(e).starts_with(std::string("ct_state ") + names.second + " status "));
    check_round_trip(e);
  }
  Event bad = udp_event();
  bad.state = 5;  // never set on a packet: no invented name
  CHECK(to_json(bad)["state"].is_null());
}

TEST_CASE("all zone directions, in JSON and in text") {
  struct Z {
    uint8_t dir;
    const char* json_name;
    const char* text;  // what ends the line (before mark)
  };
  for (const Z& z : {Z{0, "none", "40000]"}, Z{1, "original", "40000] orig-zone 65535"},
                     Z{2, "reply", "40000] reply-zone 65535"}, Z{3, "default", "40000] zone 65535"}}) {
    Event e = udp_event();
    e.base.zone_id = 65535;
    e.base.zone_dir = z.dir;
    e.base.mark.reset();
    CHECK(to_json(e)["base"]["zone_dir"] == z.json_name);
    CHECK(to_json(e)["base"]["zone_id"] == 65535);
    CHECK(nfct::event_to_text(e).ends_with(z.text));
    check_round_trip(e);
  }
  // The default zone with a mark.
  Event e = udp_event();
  e.base.zone_dir = 3;
  CHECK(nfct::event_to_text(e).ends_with("40000] zone 0 mark 0"));
}

TEST_CASE("protocols: udp, sctp, icmp, icmpv6, other") {
  SUBCASE("udp") {
    Event e = udp_event();
    e.base.tcp_state = TCP_CONNTRACK_ESTABLISHED;  // ignored: tcp_state is for TCP only
    json j = to_json(e);
    CHECK(j["base"]["orig"]["proto"] == json::parse(R"({"udp":{"sport":40000,"dport":53}})"));
    CHECK(j["base"]["tcp_state"].is_null());
    CHECK(nfct::event_to_text(e) ==
          "ct_state NEW status 0x8 udp orig [192.0.2.1.40000 > 198.51.100.7.53] reply "
          "[198.51.100.7.53 > 192.0.2.1.40000] mark 0");
  }
  SUBCASE("sctp") {
    Event e = udp_event();
    e.base.orig.protonum = e.base.reply.protonum = 132;
    json j = to_json(e);
    CHECK(j["base"]["reply"]["proto"] == json::parse(R"({"sctp":{"sport":53,"dport":40000}})"));
    CHECK(nfct::event_to_text(e) ==
          "ct_state NEW status 0x8 sctp orig [192.0.2.1.40000 > 198.51.100.7.53] reply "
          "[198.51.100.7.53 > 192.0.2.1.40000] mark 0");
    check_round_trip(e);
  }
  SUBCASE("icmp") {
    Event e = udp_event();
    for (CtTuple* t : {&e.base.orig, &e.base.reply}) {
      t->protonum = 1;
      t->sport = t->dport = 0;
      t->icmp_type = 3;
      t->icmp_code = 255;
      t->icmp_id = 65535;
    }
    json j = to_json(e);
    CHECK(j["base"]["orig"]["proto"] == json::parse(R"({"icmp":{"type":3,"code":255,"id":65535}})"));
    CHECK(nfct::event_to_text(e) ==
          "ct_state NEW status 0x8 icmp orig [192.0.2.1 > 198.51.100.7 type 3 code 255 id "
          "65535] reply [198.51.100.7 > 192.0.2.1 type 3 code 255 id 65535] mark 0");
    check_round_trip(e);
  }
  SUBCASE("icmpv6") {
    Event e;
    e.state = 3;
    e.base.orig = tuple(6, v6("fe80::1"), v6("ff02::1"), 58);
    e.base.orig.icmp_type = 128;
    e.base.orig.icmp_id = 77;
    e.base.reply = tuple(6, v6("ff02::1"), v6("fe80::1"), 58);
    e.base.reply.icmp_type = 129;
    e.base.reply.icmp_id = 77;
    e.base.status = 0x20a;
    json j = to_json(e);
    CHECK(j["base"]["orig"]["proto"] == json::parse(R"({"icmpv6":{"type":128,"code":0,"id":77}})"));
    CHECK(j["base"]["mark"].is_null());
    CHECK(nfct::event_to_text(e) ==
          "ct_state REPLY status 0x20a icmpv6 orig [fe80::1 > ff02::1 type 128 code 0 id 77] "
          "reply [ff02::1 > fe80::1 type 129 code 0 id 77]");
    check_round_trip(e);
  }
  SUBCASE("other (GRE)") {
    Event e = udp_event();
    e.base.orig.protonum = e.base.reply.protonum = 47;
    e.base.orig.sport = e.base.orig.dport = e.base.reply.sport = e.base.reply.dport = 0;
    json j = to_json(e);
    CHECK(j["base"]["orig"]["proto"] == json::parse(R"({"other":{"protonum":47}})"));
    CHECK(j["base"]["tcp_state"].is_null());
    CHECK(nfct::event_to_text(e) ==
          "ct_state NEW status 0x8 proto 47 orig [192.0.2.1 > 198.51.100.7] reply "
          "[198.51.100.7 > 192.0.2.1] mark 0");
    check_round_trip(e);
  }
}

TEST_CASE("tcp: the state in parentheses; every kernel TCP state name round-trips") {
  Event e = parse_ok(json::parse(kExample1));
  for (uint8_t s = 0; s <= 9; s++) {
    e.base.tcp_state = s;
    CHECK(nfct::event_to_text(e).find(" tcp (" + *nfct::event_tcp_state_name(s) + ") orig [") !=
          std::string::npos);
    check_round_trip(e);
  }
  e.base.tcp_state.reset();  // a producer bug: no invented name
  CHECK(to_json(e)["base"]["tcp_state"].is_null());
  CHECK(nfct::event_to_text(e).find(" tcp (?) orig [") != std::string::npos);
  e.base.tcp_state = 10;  // a state this build has no name for (a newer kernel): null, not invented
  CHECK(to_json(e)["base"]["tcp_state"].is_null());
  CHECK(nfct::event_to_text(e).find(" tcp (?) orig [") != std::string::npos);
}

TEST_CASE("status is lowercase hex without padding") {
  Event e = udp_event();
  e.base.status = 0;
  CHECK(nfct::event_to_text(e).starts_with("ct_state NEW status 0x0 udp "));
  e.base.status = 0xABCDEF;
  CHECK(nfct::event_to_text(e).starts_with("ct_state NEW status 0xabcdef udp "));
  CHECK(to_json(e)["base"]["ct_status"] == 0xABCDEF);
  e.base.status = UINT64_MAX;
  CHECK(nfct::event_to_text(e).starts_with("ct_state NEW status 0xffffffffffffffff udp "));
  check_round_trip(e);
}

TEST_CASE("a parent adds the second line, and only then") {
  Event e = udp_event();
  CHECK(nfct::event_to_text(e).find('\n') == std::string::npos);
  e.state = 4;
  e.parent = parse_ok(json::parse(kExample2)).base;
  std::string text = nfct::event_to_text(e);
  auto nl = text.find('\n');
  REQUIRE(nl != std::string::npos);
  CHECK(text.find('\n', nl + 1) == std::string::npos);
  CHECK(text.substr(nl + 1) ==
        "\\ parent [status 0x8 udp orig [10.0.1.100.45678 > 8.8.8.8.53] reply [8.8.8.8.53 > "
        "10.0.1.100.45678] orig-zone 100 mark 42 labels 0x0000000000000001]");
  CHECK(text.back() == ']');
  check_round_trip(e);
}

TEST_CASE("helper name tables") {
  CHECK(nfct::ct_proto_name(6) == "tcp");
  CHECK(nfct::ct_proto_name(17) == "udp");
  CHECK(nfct::ct_proto_name(1) == "icmp");
  CHECK(nfct::ct_proto_name(58) == "icmpv6");
  CHECK(nfct::ct_proto_name(132) == "sctp");
  CHECK_FALSE(nfct::ct_proto_name(0).has_value());
  CHECK_FALSE(nfct::ct_proto_name(47).has_value());
  CHECK_FALSE(nfct::ct_proto_name(255).has_value());

  const char* names[] = {"NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
                         "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2"};
  for (uint8_t i = 0; i < 10; i++) CHECK(nfct::event_tcp_state_name(i) == std::optional<std::string>(names[i]));
  CHECK_FALSE(nfct::event_tcp_state_name(10).has_value());
  CHECK_FALSE(nfct::event_tcp_state_name(255).has_value());
  CHECK(nfct::ct_proto_from_name("sctp") == std::optional<uint8_t>(132));
  CHECK_FALSE(nfct::ct_proto_from_name("gre").has_value());  // no key of its own: "other"
  CHECK_FALSE(nfct::ct_proto_from_name("other").has_value());
}

TEST_CASE("event_to_json: the exporter's keys, then ct") {
  Event e = parse_ok(json::parse(kExample4));
  e.seq = 42;
  e.time_ns = 1795734082123456789LL;
  e.probe = "nf:ipv4:postrouting";
  e.netns = 4026531840ULL;
  ojson j = nfct::event_to_json(e);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"time", "seq", "probe", "netns", "ct"});
  CHECK(j["time"] == "2026-11-26T23:01:22.123456789Z");
  CHECK(j["seq"] == 42);
  CHECK(j["probe"] == "nf:ipv4:postrouting");
  CHECK(j["netns"].is_number_unsigned());
  CHECK(j["netns"] == 4026531840ULL);
  CHECK(j["ct"] == nfct::ct_to_json(e));
  CHECK(json(j["ct"]) == normalise(json::parse(kExample4)));
}

TEST_CASE("event times: RFC 3339 UTC with nine fractional digits") {
  CHECK(nfct::format_time_ns(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(nfct::format_time_ns(1) == "1970-01-01T00:00:00.000000001Z");
  CHECK(nfct::format_time_ns(1795734082123456789LL) == "2026-11-26T23:01:22.123456789Z");
  CHECK(nfct::format_time_ns(1709208000LL * 1000000000LL) == "2024-02-29T12:00:00.000000000Z");
  CHECK(nfct::format_time_ns(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(nfct::format_time_ns(INT64_MAX) == "2262-04-11T23:47:16.854775807Z");
  CHECK(nfct::format_time_ns(INT64_MIN) == "1677-09-21T00:12:43.145224192Z");
  Event e;
  CHECK(nfct::event_to_json(e)["time"] == "1970-01-01T00:00:00.000000000Z");
}

TEST_CASE("event_from_ct_json: bad input names the path") {
  SUBCASE("not an object") {
    check_error(json::array(), "ct");
    check_error(json(nullptr), "ct");
    check_error(json("established"), "ct");
  }
  SUBCASE("unknown keys") {
    check_error(with(kExample1, "/extra", 1), "ct.extra");
    check_error(with(kExample1, "/base/zone", 1), "ct.base.zone");
    check_error(with(kExample1, "/base/orig/extra", 1), "ct.base.orig.extra");
    check_error(with(kExample1, "/base/orig/ip/port", 1), "ct.base.orig.ip.port");
    check_error(with(kExample1, "/base/orig/proto/tcp/flags", 2), "ct.base.orig.proto.tcp.flags");
    check_error(with(kExample4, "/parent/extra", true), "ct.parent.extra");
  }
  SUBCASE("missing required keys") {
    check_error(without(kExample1, "", "state"), "ct.state");
    check_error(without(kExample1, "", "base"), "ct.base");
    for (const char* k : {"zone_id", "zone_dir", "orig", "reply", "tcp_state", "mark", "ct_status"})
      check_error(without(kExample1, "/base", k), std::string("ct.base.") + k);
    check_error(without(kExample1, "/base/reply", "ip"), "ct.base.reply.ip");
    check_error(without(kExample1, "/base/reply", "proto"), "ct.base.reply.proto");
    for (const char* k : {"src", "dst", "version"})
      check_error(without(kExample1, "/base/orig/ip", k), std::string("ct.base.orig.ip.") + k);
    check_error(without(kExample1, "/base/orig/proto/tcp", "dport"), "ct.base.orig.proto.tcp.dport");
    check_error(without(kExample3, "/base/reply/proto/icmp", "id"), "ct.base.reply.proto.icmp.id");
    check_error(without(kExample4, "/parent", "ct_status"), "ct.parent.ct_status");
  }
  SUBCASE("wrong types") {
    check_error(with(kExample1, "/state", 0), "ct.state");
    check_error(with(kExample1, "/base", "x"), "ct.base");
    check_error(with(kExample1, "/parent", "none"), "ct.parent");
    check_error(with(kExample1, "/parent", json::array()), "ct.parent");
    check_error(with(kExample1, "/base/zone_id", "0"), "ct.base.zone_id");
    check_error(with(kExample1, "/base/zone_id", 1.5), "ct.base.zone_id");
    check_error(with(kExample1, "/base/zone_id", false), "ct.base.zone_id");
    check_error(with(kExample1, "/base/zone_dir", 0), "ct.base.zone_dir");
    check_error(with(kExample1, "/base/orig", json::array()), "ct.base.orig");
    check_error(with(kExample1, "/base/orig/ip", "10.0.1.100"), "ct.base.orig.ip");
    check_error(with(kExample1, "/base/orig/ip/src", 167772516), "ct.base.orig.ip.src");
    check_error(with(kExample1, "/base/orig/ip/version", 4), "ct.base.orig.ip.version");
    check_error(with(kExample1, "/base/orig/proto", "tcp"), "ct.base.orig.proto");
    check_error(with(kExample1, "/base/orig/proto/tcp", json::array({1, 2})), "ct.base.orig.proto.tcp");
    check_error(with(kExample1, "/base/orig/proto/tcp/sport", "54321"), "ct.base.orig.proto.tcp.sport");
    check_error(with(kExample1, "/base/orig/proto/tcp/dport", 80.0), "ct.base.orig.proto.tcp.dport");
    check_error(with(kExample1, "/base/tcp_state", 3), "ct.base.tcp_state");
    check_error(with(kExample1, "/base/mark", "0"), "ct.base.mark");
    check_error(with(kExample1, "/base/ct_status", "394"), "ct.base.ct_status");
    check_error(with(kExample1, "/base/ct_status", nullptr), "ct.base.ct_status");
    check_error(with(kExample2, "/base/labels", 1), "ct.base.labels");
  }
  SUBCASE("bad names") {
    check_error(with(kExample1, "/state", "ESTABLISHED"), "ct.state");
    check_error(with(kExample1, "/state", "invalid"), "ct.state");
    check_error(with(kExample1, "/state", ""), "ct.state");
    check_error(with(kExample1, "/base/zone_dir", "both"), "ct.base.zone_dir");
    check_error(with(kExample1, "/base/zone_dir", "ORIGINAL"), "ct.base.zone_dir");
    check_error(with(kExample1, "/base/tcp_state", "established"), "ct.base.tcp_state");
    check_error(with(kExample1, "/base/tcp_state", "LISTEN"), "ct.base.tcp_state");
  }
  SUBCASE("bad versions and addresses") {
    check_error(with(kExample1, "/base/orig/ip/version", "v5"), "ct.base.orig.ip.version");
    check_error(with(kExample1, "/base/orig/ip/version", "ipv4"), "ct.base.orig.ip.version");
    check_error(with(kExample1, "/base/orig/ip/version", "V4"), "ct.base.orig.ip.version");
    // A v4 address under v6 (and the reverse).
    check_error(with(kExample1, "/base/orig/ip/version", "v6"), "ct.base.orig.ip.src");
    json j = with(kExample1, "/base/orig/ip/src", "2001:db8::1");
    check_error(j, "ct.base.orig.ip.src");
    check_error(with(kExample1, "/base/orig/ip/src", "10.0.1.300"), "ct.base.orig.ip.src");
    check_error(with(kExample1, "/base/orig/ip/src", "10.0.1"), "ct.base.orig.ip.src");
    check_error(with(kExample1, "/base/orig/ip/dst", ""), "ct.base.orig.ip.dst");
    check_error(with(kExample1, "/base/orig/ip/dst", " 93.184.216.34"), "ct.base.orig.ip.dst");
    check_error(with(kExample1, "/base/reply/ip/dst", "host.example"), "ct.base.reply.ip.dst");
    // Not as inet_ntop writes it.
    json v6ok = with(kExample1, "/base/orig/ip", json::parse(
        R"({"src":"2001:db8::1","dst":"2001:db8::2","version":"v6"})"));
    v6ok["base"]["reply"]["ip"] = json::parse(R"({"src":"2001:db8::2","dst":"2001:db8::1","version":"v6"})");
    parse_ok(v6ok);
    json upper = v6ok;
    upper["base"]["orig"]["ip"]["src"] = "2001:DB8::1";
    check_error(upper, "ct.base.orig.ip.src");
    json long_form = v6ok;
    long_form["base"]["orig"]["ip"]["dst"] = "2001:db8:0:0:0:0:0:2";
    check_error(long_form, "ct.base.orig.ip.dst");
    // orig and reply of one connection share their version.
    json mixed = v6ok;
    mixed["base"]["reply"]["ip"] = json::parse(R"({"src":"10.0.0.2","dst":"10.0.0.1","version":"v4"})");
    check_error(mixed, "ct.base.reply.ip.version");
  }
  SUBCASE("out-of-range integers") {
    check_error(with(kExample1, "/base/orig/proto/tcp/sport", 65536), "ct.base.orig.proto.tcp.sport");
    check_error(with(kExample1, "/base/orig/proto/tcp/dport", -1), "ct.base.orig.proto.tcp.dport");
    check_error(with(kExample2, "/base/reply/proto/udp/sport", 1 << 20), "ct.base.reply.proto.udp.sport");
    check_error(with(kExample1, "/base/zone_id", 65536), "ct.base.zone_id");
    check_error(with(kExample1, "/base/zone_id", -1), "ct.base.zone_id");
    check_error(with(kExample1, "/base/mark", 4294967296LL), "ct.base.mark");
    check_error(with(kExample1, "/base/mark", -1), "ct.base.mark");
    check_error(with(kExample1, "/base/ct_status", -1), "ct.base.ct_status");
    check_error(with(kExample3, "/base/orig/proto/icmp/type", 256), "ct.base.orig.proto.icmp.type");
    check_error(with(kExample3, "/base/orig/proto/icmp/code", -1), "ct.base.orig.proto.icmp.code");
    check_error(with(kExample3, "/base/orig/proto/icmp/id", 65536), "ct.base.orig.proto.icmp.id");
    // The limits themselves are accepted.
    Event e = parse_ok(with(kExample1, "/base/ct_status", UINT64_MAX));
    CHECK(e.base.status == UINT64_MAX);
    e = parse_ok(with(kExample1, "/base/orig/proto/tcp/sport", 65535));
    CHECK(e.base.orig.sport == 65535);
    e = parse_ok(with(kExample1, "/base/mark", 4294967295LL));
    CHECK(e.base.mark == std::optional<uint32_t>(4294967295u));
  }
  SUBCASE("bad proto objects") {
    check_error(with(kExample1, "/base/orig/proto", json::parse(R"({"quic":{"sport":1,"dport":2}})")),
                "ct.base.orig.proto.quic");
    check_error(with(kExample1, "/base/orig/proto", json::parse(R"({"TCP":{"sport":1,"dport":2}})")),
                "ct.base.orig.proto.TCP");
    check_error(with(kExample1, "/base/orig/proto", json::object()), "ct.base.orig.proto");
    check_error(with(kExample1, "/base/orig/proto/udp", json::parse(R"({"sport":1,"dport":2})")),
                "ct.base.orig.proto");
    // Fields of another protocol.
    check_error(with(kExample1, "/base/orig/proto",
                     json::parse(R"({"tcp":{"type":8,"code":0,"id":1}})")),
                "ct.base.orig.proto.tcp.sport");
    check_error(with(kExample3, "/base/orig/proto", json::parse(R"({"icmp":{"sport":1,"dport":2}})")),
                "ct.base.orig.proto.icmp.type");
    // "other" is for protocols without their own key, 0..255.
    check_error(with(kExample3, "/base/orig/proto", json::parse(R"({"other":{"protonum":6}})")),
                "ct.base.orig.proto.other.protonum");
    check_error(with(kExample3, "/base/orig/proto", json::parse(R"({"other":{"protonum":256}})")),
                "ct.base.orig.proto.other.protonum");
    check_error(with(kExample3, "/base/orig/proto", json::parse(R"({"other":{}})")),
                "ct.base.orig.proto.other.protonum");
    // orig and reply of one connection share their protocol.
    check_error(with(kExample1, "/base/reply/proto", json::parse(R"({"udp":{"sport":80,"dport":54321}})")),
                "ct.base.reply.proto");
  }
  SUBCASE("tcp_state: a name for TCP, null otherwise") {
    check_error(with(kExample1, "/base/tcp_state", nullptr), "ct.base.tcp_state");
    check_error(with(kExample2, "/base/tcp_state", "ESTABLISHED"), "ct.base.tcp_state");
    check_error(with(kExample3, "/base/tcp_state", "NONE"), "ct.base.tcp_state");
  }
  SUBCASE("labels not in their canonical form") {
    for (const char* bad : {"0x1", "1", "0x000000000000000G", "0x000000000000000A", "0X0000000000000001",
                            "0x0000000000000000", "0x00000000000000000000000000000001",
                            "0x000000000000000000000000000000000", "0x00000000000000010000000000000000 "}) {
      INFO(bad);
      check_error(with(kExample2, "/base/labels", bad), "ct.base.labels");
    }
    Event e = parse_ok(with(kExample2, "/base/labels", "0x00000000000000010000000000000000"));
    REQUIRE(e.base.labels.has_value());
    CHECK((*e.base.labels)[0] == 0);
    CHECK((*e.base.labels)[1] == 1);
  }
  SUBCASE("errors in the parent are reported under ct.parent") {
    check_error(with(kExample4, "/parent/zone_id", 70000), "ct.parent.zone_id");
    check_error(with(kExample4, "/parent/orig/proto/tcp/sport", -5), "ct.parent.orig.proto.tcp.sport");
    check_error(with(kExample4, "/parent/reply/ip/version", "v9"), "ct.parent.reply.ip.version");
  }
}

}  // TEST_SUITE
