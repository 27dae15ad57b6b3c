// The strict reader of the events format's `ct` section, for the tests: it checks every
// key and value that event_format.cpp writes (docs/events.schema.json describes them).
#include "ct_json_parser.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <initializer_list>
#include <limits>
#include <string>

#include "ct_names.h"
#include "event_format.h"

namespace nfct {
namespace {

using json = nlohmann::json;

std::string addr_text(uint8_t version, const std::array<uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(version == 6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf)) return "?";
  return buf;
}

// The upper-case name that event_format.cpp writes, back to enum tcp_conntrack.
std::optional<uint8_t> tcp_state_from_event_name(std::string_view name) {
  for (unsigned s = 0; s < 256; s++)
    if (auto n = event_tcp_state_name(static_cast<uint8_t>(s)); n && *n == name) return static_cast<uint8_t>(s);
  return std::nullopt;
}

struct ParseError {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw ParseError{path + ": " + what};
}

std::string got(const json& j) {
  std::string s = j.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return ", got " + s;
}

// Checks that j is an object holding every required key, no key outside required+optional.
void check_object(const json& j, const std::string& path,
                  std::initializer_list<std::string_view> required,
                  std::initializer_list<std::string_view> optional = {}) {
  if (!j.is_object()) fail(path, "expected an object" + got(j));
  for (auto k : required)
    if (!j.contains(k)) fail(path + "." + std::string(k), "required key is missing");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (auto k : required) known = known || it.key() == k;
    for (auto k : optional) known = known || it.key() == k;
    if (!known) fail(path + "." + it.key(), "unexpected key");
  }
}

uint64_t get_uint(const json& j, const std::string& path, uint64_t max) {
  std::string range = "an integer 0.." + std::to_string(max);
  if (!j.is_number_integer()) fail(path, "expected " + range + got(j));
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > max) fail(path, "expected " + range + got(j));
    return v;
  }
  int64_t v = j.get<int64_t>();
  if (v < 0 || static_cast<uint64_t>(v) > max) fail(path, "expected " + range + got(j));
  return static_cast<uint64_t>(v);
}

const std::string& get_string(const json& j, const std::string& path, const std::string& what) {
  if (!j.is_string()) fail(path, "expected " + what + got(j));
  return j.get_ref<const std::string&>();
}

std::array<uint8_t, 16> parse_addr(const json& j, const std::string& path, uint8_t version) {
  std::string what = version == 6 ? "an IPv6 address" : "an IPv4 address";
  const std::string& s = get_string(j, path, what);
  std::array<uint8_t, 16> a{};
  if (inet_pton(version == 6 ? AF_INET6 : AF_INET, s.c_str(), a.data()) != 1)
    fail(path, "expected " + what + got(j));
  std::string canonical = addr_text(version, a);
  if (canonical != s)
    fail(path, "expected " + what + " as inet_ntop writes it (\"" + canonical + "\")" + got(j));
  return a;
}

CtTuple parse_tuple(const json& j, const std::string& path) {
  check_object(j, path, {"ip", "proto"});
  CtTuple t;

  const json& ip = j["ip"];
  std::string ip_path = path + ".ip";
  check_object(ip, ip_path, {"src", "dst", "version"});
  const std::string& v = get_string(ip["version"], ip_path + ".version", "\"v4\" or \"v6\"");
  if (v == "v4")
    t.version = 4;
  else if (v == "v6")
    t.version = 6;
  else
    fail(ip_path + ".version", "expected \"v4\" or \"v6\"" + got(ip["version"]));
  t.src = parse_addr(ip["src"], ip_path + ".src", t.version);
  t.dst = parse_addr(ip["dst"], ip_path + ".dst", t.version);

  const json& proto = j["proto"];
  std::string proto_path = path + ".proto";
  const std::string names = "tcp, udp, sctp, icmp, icmpv6, other";
  if (!proto.is_object()) fail(proto_path, "expected an object" + got(proto));
  if (proto.size() != 1)
    fail(proto_path, "expected an object with exactly one key of " + names + got(proto));
  const std::string& key = proto.begin().key();
  const json& f = proto.begin().value();
  std::string fpath = proto_path + "." + key;
  if (key == "other") {
    check_object(f, fpath, {"protonum"});
    t.protonum = static_cast<uint8_t>(get_uint(f["protonum"], fpath + ".protonum", 255));
    if (auto name = ct_proto_name(t.protonum))
      fail(fpath + ".protonum", "expected a protocol without its own key (" +
                                    std::to_string(t.protonum) + " is \"" + std::string(*name) +
                                    "\")");
    return t;
  }
  auto num = ct_proto_from_name(key);
  if (!num) fail(fpath, "unknown protocol, expected one of " + names);
  t.protonum = *num;
  if (t.protonum == IPPROTO_TCP || t.protonum == IPPROTO_UDP || t.protonum == IPPROTO_SCTP) {
    check_object(f, fpath, {"sport", "dport"});
    t.sport = static_cast<uint16_t>(get_uint(f["sport"], fpath + ".sport", 65535));
    t.dport = static_cast<uint16_t>(get_uint(f["dport"], fpath + ".dport", 65535));
  } else {
    check_object(f, fpath, {"type", "code", "id"});
    t.icmp_type = static_cast<uint8_t>(get_uint(f["type"], fpath + ".type", 255));
    t.icmp_code = static_cast<uint8_t>(get_uint(f["code"], fpath + ".code", 255));
    t.icmp_id = static_cast<uint16_t>(get_uint(f["id"], fpath + ".id", 65535));
  }
  return t;
}

std::array<uint64_t, 2> parse_labels(const json& j, const std::string& path) {
  const std::string what =
      "\"0x\" and 16 lowercase hex digits, or 32 when a bit above 63 is set, not all zero";
  const std::string& s = get_string(j, path, what);
  if (s.size() != 18 && s.size() != 34) fail(path, "expected " + what + got(j));
  if (s.compare(0, 2, "0x") != 0) fail(path, "expected " + what + got(j));
  for (size_t i = 2; i < s.size(); i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) fail(path, "expected " + what + got(j));
  }
  std::array<uint64_t, 2> bits{};
  if (s.size() == 34) {
    bits[1] = std::stoull(s.substr(2, 16), nullptr, 16);
    bits[0] = std::stoull(s.substr(18, 16), nullptr, 16);
    if (bits[1] == 0) fail(path, "expected 16 hex digits when no bit above 63 is set" + got(j));
  } else {
    bits[0] = std::stoull(s.substr(2, 16), nullptr, 16);
  }
  if (bits[0] == 0 && bits[1] == 0) fail(path, "expected null when no label bit is set" + got(j));
  return bits;
}

CtConn parse_conn(const json& j, const std::string& path) {
  check_object(j, path,
               {"zone_id", "zone_dir", "orig", "reply", "tcp_state", "mark", "ct_status"},
               {"labels"});
  CtConn c;
  c.zone_id = static_cast<uint16_t>(get_uint(j["zone_id"], path + ".zone_id", 65535));

  const std::string dirs = "\"none\", \"original\", \"reply\" or \"default\"";
  const std::string& dir = get_string(j["zone_dir"], path + ".zone_dir", dirs);
  bool dir_ok = false;
  for (uint8_t d = 0; d < 4; d++)
    if (zone_dir_name(d) == dir) {
      c.zone_dir = d;
      dir_ok = true;
    }
  if (!dir_ok) fail(path + ".zone_dir", "expected " + dirs + got(j["zone_dir"]));

  c.orig = parse_tuple(j["orig"], path + ".orig");
  c.reply = parse_tuple(j["reply"], path + ".reply");
  if (c.reply.version != c.orig.version)
    fail(path + ".reply.ip.version", "expected the same version as orig");
  if (c.reply.protonum != c.orig.protonum)
    fail(path + ".reply.proto", "expected the same protocol as orig");

  const json& ts = j["tcp_state"];
  if (c.orig.protonum == IPPROTO_TCP) {
    std::string what = "a TCP conntrack state name (NONE, SYN_SENT, ... SYN_SENT2)";
    const std::string& s = get_string(ts, path + ".tcp_state", what);
    c.tcp_state = tcp_state_from_event_name(s);
    if (!c.tcp_state) fail(path + ".tcp_state", "expected " + what + got(ts));
  } else if (!ts.is_null()) {
    fail(path + ".tcp_state", "expected null for a protocol other than tcp" + got(ts));
  }

  const json& mark = j["mark"];
  if (!mark.is_null())
    c.mark = static_cast<uint32_t>(get_uint(mark, path + ".mark", 0xffffffffu));

  if (j.contains("labels") && !j["labels"].is_null())
    c.labels = parse_labels(j["labels"], path + ".labels");

  c.status = get_uint(j["ct_status"], path + ".ct_status", std::numeric_limits<uint64_t>::max());
  return c;
}

}  // namespace

Expected<Event> event_from_ct_json(const nlohmann::json& ct) {
  try {
    check_object(ct, "ct", {"state", "base"}, {"parent"});
    Event e;
    const std::string states =
        "\"established\", \"related\", \"new\", \"reply\", \"related_reply\" or \"untracked\"";
    const std::string& s = get_string(ct["state"], "ct.state", states);
    auto st = ct_state_from_name(s);
    if (!st) fail("ct.state", "expected " + states + got(ct["state"]));
    e.state = *st;
    e.base = parse_conn(ct["base"], "ct.base");
    if (ct.contains("parent") && !ct["parent"].is_null()) {
      if (!ct["parent"].is_object())
        fail("ct.parent", "expected an object or null" + got(ct["parent"]));
      e.parent = parse_conn(ct["parent"], "ct.parent");
    }
    return e;
  } catch (const ParseError& err) {
    return Error{err.message};
  } catch (const nlohmann::json::exception& err) {
    return Error{std::string("ct: ") + err.what()};
  }
}

}  // namespace nfct
