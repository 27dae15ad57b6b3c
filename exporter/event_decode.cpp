#include "event_decode.h"

#include <arpa/inet.h>
#include <time.h>

#include "ct_names.h"
#include "event_format.h"

namespace nfct {
namespace {

constexpr uint16_t kNfprotoIpv4 = 2;
constexpr uint16_t kNfprotoIpv6 = 10;
constexpr uint8_t kIpprotoIcmp = 1;
constexpr uint8_t kIpprotoIcmpv6 = 58;

Expected<CtTuple> decode_tuple(const nfct_ev_tuple& t, const char* which) {
  CtTuple out;
  if (t.l3num == kNfprotoIpv4) {
    out.version = 4;
  } else if (t.l3num == kNfprotoIpv6) {
    out.version = 6;
  } else {
    return Error{std::string(which) + ": unknown address family " + std::to_string(t.l3num)};
  }
  const size_t n = out.version == 4 ? 4 : 16;
  std::copy(t.src, t.src + n, out.src.begin());
  std::copy(t.dst, t.dst + n, out.dst.begin());
  out.protonum = t.protonum;
  if (t.protonum == kIpprotoIcmp || t.protonum == kIpprotoIcmpv6) {
    out.icmp_id = ntohs(t.src_u);
    const auto* b = reinterpret_cast<const uint8_t*>(&t.dst_u);  // dst.u.icmp.{type, code}
    out.icmp_type = b[0];
    out.icmp_code = b[1];
  } else {
    out.sport = ntohs(t.src_u);
    out.dport = ntohs(t.dst_u);
  }
  return out;
}

Expected<CtConn> decode_conn(const nfct_ev_conn& c) {
  CtConn out;
  auto orig = decode_tuple(c.orig, "orig");
  if (!orig) return Error{orig.error()};
  auto reply = decode_tuple(c.reply, "reply");
  if (!reply) return Error{reply.error()};
  out.orig = *orig;
  out.reply = *reply;
  out.zone_id = c.zone_id;
  if (!zone_dir_name(c.zone_dir)) return Error{"zone direction " + std::to_string(c.zone_dir)};
  out.zone_dir = c.zone_dir;
  out.status = c.status;
  if (c.flags & NFCT_EV_HAS_MARK) out.mark = c.mark;
  if (c.flags & NFCT_EV_HAS_LABELS) out.labels = std::array<uint64_t, 2>{c.labels[0], c.labels[1]};
  if (c.flags & NFCT_EV_IS_TCP_STATE) {
    auto name = tcp_state_name(c.tcp_state);
    out.tcp_state = name ? std::string(*name) : "UNKNOWN";
  }
  return out;
}

}  // namespace

Expected<Event> decode_event(const nfct_event& rec, const std::map<uint8_t, std::string>& probe_names,
                             int64_t mono_to_wall_ns) {
  Event e;
  if (!ct_state_name(rec.state)) return Error{"ctinfo " + std::to_string(rec.state)};
  e.state = rec.state;
  e.netns = rec.netns;
  // A corrupt stamp plus the offset can leave int64 (undefined behaviour): an error.
  if (__builtin_add_overflow(static_cast<int64_t>(rec.ts_ns), mono_to_wall_ns, &e.time_ns))
    return Error{"timestamp " + std::to_string(rec.ts_ns) + " out of range"};
  auto it = probe_names.find(rec.probe);
  e.probe = it != probe_names.end() ? it->second : "index:" + std::to_string(rec.probe);
  auto base = decode_conn(rec.base);
  if (!base) return Error{"base " + base.error()};
  e.base = std::move(*base);
  if (rec.has_parent) {
    auto parent = decode_conn(rec.parent);
    if (!parent) return Error{"parent " + parent.error()};
    e.parent = std::move(*parent);
  }
  return e;
}

int64_t monotonic_to_wall_offset_ns() {
  timespec mono{}, wall{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &wall);
  return (static_cast<int64_t>(wall.tv_sec) - mono.tv_sec) * 1'000'000'000LL + (wall.tv_nsec - mono.tv_nsec);
}

}  // namespace nfct
