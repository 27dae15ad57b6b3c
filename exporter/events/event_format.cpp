#include "event_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/chrono.h>

#include <cstdio>
#include <ctime>
#include <utility>

#include "ct_names.h"

namespace nfct {
namespace {

using ojson = nlohmann::ordered_json;

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
  // An unknown state number (a newer kernel) is null: no invented name.
  auto tcp = c.orig.protonum == IPPROTO_TCP && c.tcp_state ? event_tcp_state_name(*c.tcp_state) : std::nullopt;
  if (tcp)
    out["tcp_state"] = *tcp;
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
    if (p == IPPROTO_TCP)
      out += " (" + (c.tcp_state ? event_tcp_state_name(*c.tcp_state) : std::nullopt).value_or("?") + ")";
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

}  // namespace

std::optional<std::string_view> ct_proto_name(uint8_t protonum) {
  if (!has_ports(protonum) && !is_icmp(protonum)) return std::nullopt;
  return l4proto_name(protonum);
}

std::optional<uint8_t> ct_proto_from_name(std::string_view name) {
  auto p = l4proto_from_name(name);
  if (!p || !ct_proto_name(*p)) return std::nullopt;
  return p;
}

std::optional<std::string> event_tcp_state_name(uint8_t state) {
  auto name = tcp_state_name(state);
  if (!name) return std::nullopt;
  std::string upper(*name);
  for (char& ch : upper)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return upper;
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
  constexpr int64_t kNs = 1'000'000'000;
  int64_t secs = time_ns / kNs;
  int64_t frac = time_ns % kNs;
  if (frac < 0) {  // floor toward the past for times before the epoch
    frac += kNs;
    secs -= 1;
  }
  // A std::tm, not a time_point: fmt converts a time_point of seconds to the system
  // clock's nanoseconds, which overflows near the ends of the int64 range (1677, 2262).
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09}Z", fmt::gmtime(static_cast<std::time_t>(secs)), frac);
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

}  // namespace nfct
