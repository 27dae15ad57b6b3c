#include "event_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <utility>

#include "ct_names.h"

namespace nfct {
namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

constexpr uint8_t kProtoTcp = IPPROTO_TCP;

constexpr std::array<std::string_view, 10> kTcpStates = {
    "NONE",       "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",      "SYN_SENT2"};

struct ProtoName {
  uint8_t num;
  std::string_view name;
};
constexpr std::array<ProtoName, 5> kProtos = {{{IPPROTO_TCP, "tcp"},
                                               {IPPROTO_UDP, "udp"},
                                               {IPPROTO_ICMP, "icmp"},
                                               {IPPROTO_ICMPV6, "icmpv6"},
                                               {IPPROTO_SCTP, "sctp"}}};

bool has_ports(uint8_t protonum) {
  return protonum == IPPROTO_TCP || protonum == IPPROTO_UDP || protonum == IPPROTO_SCTP;
}
bool is_icmp(uint8_t protonum) {
  return protonum == IPPROTO_ICMP || protonum == IPPROTO_ICMPV6;
}

std::string addr_text(uint8_t version, const std::array<uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(version == 6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf)) return "?";
  return buf;
}

std::optional<std::string> labels_value(const std::optional<std::array<uint64_t, 2>>& l) {
  if (!l || ((*l)[0] == 0 && (*l)[1] == 0)) return std::nullopt;
  return format_labels(*l);
}

// ---- JSON out ----

ojson tuple_to_json(const CtTuple& t) {
  ojson ip = ojson::object();
  ip["src"] = addr_text(t.version, t.src);
  ip["dst"] = addr_text(t.version, t.dst);
  if (t.version == 4 || t.version == 6)
    ip["version"] = t.version == 4 ? "v4" : "v6";
  else
    ip["version"] = nullptr;

  ojson fields = ojson::object();
  std::string key;
  if (has_ports(t.protonum)) {
    key = *ct_proto_name(t.protonum);
    fields["sport"] = t.sport;
    fields["dport"] = t.dport;
  } else if (is_icmp(t.protonum)) {
    key = *ct_proto_name(t.protonum);
    fields["type"] = t.icmp_type;
    fields["code"] = t.icmp_code;
    fields["id"] = t.icmp_id;
  } else {
    key = "other";
    fields["protonum"] = t.protonum;
  }
  ojson proto = ojson::object();
  proto[key] = std::move(fields);

  ojson out = ojson::object();
  out["ip"] = std::move(ip);
  out["proto"] = std::move(proto);
  return out;
}

ojson conn_to_json(const CtConn& c) {
  ojson out = ojson::object();
  out["zone_id"] = c.zone_id;
  if (auto d = zone_dir_name(c.zone_dir))
    out["zone_dir"] = std::string(*d);
  else
    out["zone_dir"] = nullptr;
  out["orig"] = tuple_to_json(c.orig);
  out["reply"] = tuple_to_json(c.reply);
  if (c.orig.protonum == kProtoTcp && c.tcp_state)
    out["tcp_state"] = *c.tcp_state;
  else
    out["tcp_state"] = nullptr;
  if (c.mark)
    out["mark"] = *c.mark;
  else
    out["mark"] = nullptr;
  if (auto l = labels_value(c.labels))
    out["labels"] = *l;
  else
    out["labels"] = nullptr;
  out["ct_status"] = c.status;
  return out;
}

// ---- text out ----

std::string tuple_text(const CtTuple& t) {
  std::string src = addr_text(t.version, t.src);
  std::string dst = addr_text(t.version, t.dst);
  if (has_ports(t.protonum))
    return src + "." + std::to_string(t.sport) + " > " + dst + "." + std::to_string(t.dport);
  if (is_icmp(t.protonum))
    return src + " > " + dst + " type " + std::to_string(t.icmp_type) + " code " +
           std::to_string(t.icmp_code) + " id " + std::to_string(t.icmp_id);
  return src + " > " + dst;
}

std::string conn_text(const CtConn& c) {
  char status[32];
  std::snprintf(status, sizeof status, "0x%llx", static_cast<unsigned long long>(c.status));
  std::string out = "status ";
  out += status;
  out += ' ';
  uint8_t p = c.orig.protonum;
  if (auto name = ct_proto_name(p)) {
    out += *name;
    if (p == kProtoTcp) out += " (" + c.tcp_state.value_or("?") + ")";
  } else {
    out += "proto " + std::to_string(p);
  }
  out += " orig [" + tuple_text(c.orig) + "] reply [" + tuple_text(c.reply) + "]";
  switch (c.zone_dir) {
    case 1: out += " orig-zone " + std::to_string(c.zone_id); break;
    case 2: out += " reply-zone " + std::to_string(c.zone_id); break;
    case 3: out += " zone " + std::to_string(c.zone_id); break;
    default: break;  // 0 none: no zone
  }
  if (c.mark) out += " mark " + std::to_string(*c.mark);
  if (auto l = labels_value(c.labels)) out += " labels " + *l;
  return out;
}

// ---- JSON in ----

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
  if (has_ports(t.protonum)) {
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
  if (c.orig.protonum == kProtoTcp) {
    std::string what = "a TCP conntrack state name (NONE, SYN_SENT, ... SYN_SENT2)";
    const std::string& s = get_string(ts, path + ".tcp_state", what);
    if (!tcp_state_from_name(s)) fail(path + ".tcp_state", "expected " + what + got(ts));
    c.tcp_state = s;
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

std::optional<std::string_view> ct_proto_name(uint8_t protonum) {
  for (const auto& p : kProtos)
    if (p.num == protonum) return p.name;
  return std::nullopt;
}

std::optional<uint8_t> ct_proto_from_name(std::string_view name) {
  for (const auto& p : kProtos)
    if (p.name == name) return p.num;
  return std::nullopt;
}

std::optional<std::string_view> tcp_state_name(uint8_t state) {
  if (state >= kTcpStates.size()) return std::nullopt;
  return kTcpStates[state];
}

std::optional<uint8_t> tcp_state_from_name(std::string_view name) {
  for (uint8_t i = 0; i < kTcpStates.size(); i++)
    if (kTcpStates[i] == name) return i;
  return std::nullopt;
}

std::string format_labels(const std::array<uint64_t, 2>& bits) {
  char buf[40];
  if (bits[1] != 0)
    std::snprintf(buf, sizeof buf, "0x%016llx%016llx", static_cast<unsigned long long>(bits[1]),
                  static_cast<unsigned long long>(bits[0]));
  else
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(bits[0]));
  return buf;
}

std::string format_time_ns(int64_t time_ns) {
  using namespace std::chrono;
  constexpr int64_t kNs = 1'000'000'000;
  int64_t secs = time_ns / kNs;
  int64_t frac = time_ns % kNs;
  if (frac < 0) {  // floor toward the past for times before the epoch
    frac += kNs;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                static_cast<int>(sod % 60), static_cast<long long>(frac));
  return buf;
}

ojson ct_to_json(const Event& e) {
  ojson out = ojson::object();
  if (auto s = ct_state_name(e.state))
    out["state"] = std::string(*s);
  else
    out["state"] = nullptr;
  out["base"] = conn_to_json(e.base);
  if (e.parent)
    out["parent"] = conn_to_json(*e.parent);
  else
    out["parent"] = nullptr;
  return out;
}

ojson event_to_json(const Event& e) {
  ojson out = ojson::object();
  out["time"] = format_time_ns(e.time_ns);
  out["seq"] = e.seq;
  out["probe"] = e.probe;
  out["netns"] = e.netns;
  out["ct"] = ct_to_json(e);
  return out;
}

std::string event_to_text(const Event& e) {
  std::string state = "?";
  if (auto s = ct_state_name(e.state)) {
    state.assign(s->begin(), s->end());
    for (char& ch : state)
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  std::string out = "ct_state " + state + " " + conn_text(e.base);
  if (e.parent) out += "\n\\ parent [" + conn_text(*e.parent) + "]";
  return out;
}

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
