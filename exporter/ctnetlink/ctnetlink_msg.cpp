#include "ctnetlink_msg.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace nfct {
namespace {

struct RequestSpec {
  uint8_t subsys;
  uint8_t msg;
  bool dump;
};

RequestSpec spec(CtRequest r) {
  switch (r) {
    case CtRequest::StatsCpu: return {NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, true};
    case CtRequest::Stats: return {NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, false};
    case CtRequest::ExpStatsCpu: return {NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET_STATS_CPU, true};
    case CtRequest::ExpDump: return {NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET, true};
    case CtRequest::CtDump: return {NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, true};
  }
  return {0, 0, false};
}

// "kernel: <strerror>" for the error code of an NLMSG_ERROR or NLMSG_DONE, negative as the
// kernel sends it (a positive one is taken as is). Negated in 64 bits: -INT_MIN is
// undefined behaviour in int, and strerror() names unknown codes itself.
std::string kernel_error(int err) {
  const int64_t code = err < 0 ? -static_cast<int64_t>(err) : err;
  if (code > INT_MAX) return "kernel: error " + std::to_string(err);
  return std::string("kernel: ") + std::strerror(static_cast<int>(code));
}

// The nfgenmsg of a message that must come from `subsys`, or an error.
Expected<const nfgenmsg*> nfgen(const nlmsghdr* nlh, uint8_t subsys) {
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != subsys)
    return Error{"unexpected netlink message type " + std::to_string(nlh->nlmsg_type)};
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nfgenmsg)))
    return Error{"netlink message too short for nfgenmsg"};
  return static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
}

uint64_t be_value(const nlattr* a) {
  switch (mnl_attr_get_payload_len(a)) {
    case 8: return be64toh(mnl_attr_get_u64(a));
    case 4: return ntohl(mnl_attr_get_u32(a));
    case 2: return ntohs(mnl_attr_get_u16(a));
    case 1: return mnl_attr_get_u8(a);
    default: return 0;
  }
}

bool scalar_len_ok(const nlattr* a) {
  auto n = mnl_attr_get_payload_len(a);
  return n == 1 || n == 2 || n == 4 || n == 8;
}

// Calls fn(attr) for each attribute of a nest (or, with nest == nullptr, of the
// message after its nfgenmsg). Stops at malformed data.
template <class Fn>
bool for_each_attr(const nlmsghdr* nlh, const nlattr* nest, Fn fn) {
  struct Ctx {
    Fn* fn;
  } ctx{&fn};
  auto cb = [](const nlattr* a, void* data) -> int {
    (*static_cast<Ctx*>(data)->fn)(a);
    return MNL_CB_OK;
  };
  int rc = nest ? mnl_attr_parse_nested(nest, cb, &ctx) : mnl_attr_parse(nlh, sizeof(nfgenmsg), cb, &ctx);
  return rc >= MNL_CB_STOP;
}

}  // namespace

nlmsghdr* build_request(CtRequest r, uint32_t seq, void* buf) {
  const RequestSpec s = spec(r);
  std::memset(buf, 0, kRequestBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = static_cast<uint16_t>((s.subsys << 8) | s.msg);
  // Stats is answered by one message; NLM_F_ACK makes the kernel end it with an ACK
  // so that every answer has a definite end.
  nlh->nlmsg_flags = NLM_F_REQUEST | (s.dump ? NLM_F_DUMP : NLM_F_ACK);
  nlh->nlmsg_seq = seq;
  auto* g = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  g->nfgen_family = AF_UNSPEC;  // every family
  g->version = NFNETLINK_V0;
  g->res_id = 0;
  return nlh;
}

bool is_dump(CtRequest r) { return spec(r).dump; }

StatRow& StatRow::operator+=(const StatRow& o) {
  for (size_t i = 0; i < value.size(); i++) value[i] += o.value[i];
  present |= o.present;
  return *this;
}

std::optional<std::string_view> ct_stat_name(uint16_t attr) {
  switch (attr) {
    case CTA_STATS_SEARCHED: return "searched";  // obsolete, sent by old kernels
    case CTA_STATS_FOUND: return "found";
    case CTA_STATS_NEW: return "new";  // obsolete
    case CTA_STATS_INVALID: return "invalid";
    case CTA_STATS_IGNORE: return "ignore";            // obsolete
    case CTA_STATS_DELETE: return "delete";            // obsolete
    case CTA_STATS_DELETE_LIST: return "delete_list";  // obsolete
    case CTA_STATS_INSERT: return "insert";
    case CTA_STATS_INSERT_FAILED: return "insert_failed";
    case CTA_STATS_DROP: return "drop";
    case CTA_STATS_EARLY_DROP: return "early_drop";
    case CTA_STATS_ERROR: return "error";
    case CTA_STATS_SEARCH_RESTART: return "search_restart";
    case CTA_STATS_CLASH_RESOLVE: return "clash_resolve";
    case CTA_STATS_CHAIN_TOOLONG: return "chaintoolong";
    default: return std::nullopt;
  }
}

std::optional<std::string_view> exp_stat_name(uint16_t attr) {
  switch (attr) {
    case CTA_STATS_EXP_NEW: return "new";
    case CTA_STATS_EXP_CREATE: return "create";
    case CTA_STATS_EXP_DELETE: return "delete";
    default: return std::nullopt;
  }
}

Expected<CpuStatRow> parse_stat_cpu(const nlmsghdr* nlh, bool expect) {
  // The kernel answers IPCTNL_MSG_EXP_GET_STATS_CPU with the CTNETLINK subsystem id
  // (ctnetlink_exp_stat_fill_info), so either is accepted for expectations.
  auto g = nfgen(nlh, NFNL_SUBSYS_CTNETLINK);
  if (!g && expect) g = nfgen(nlh, NFNL_SUBSYS_CTNETLINK_EXP);
  if (!g) return Error{g.error()};
  CpuStatRow out;
  out.cpu = ntohs((*g)->res_id);
  bool bad = false;
  bool ok = for_each_attr(nlh, nullptr, [&](const nlattr* a) {
    const uint16_t type = mnl_attr_get_type(a);
    if (type == 0 || type > kMaxStatAttr) return;  // unknown: a newer kernel's
    if (!scalar_len_ok(a)) {
      bad = true;
      return;
    }
    out.row.value[type] = be_value(a);
    out.row.present.set(type);
  });
  if (!ok || bad) return Error{"malformed per-CPU statistics message"};
  return out;
}

Expected<GlobalStats> parse_global_stats(const nlmsghdr* nlh) {
  auto g = nfgen(nlh, NFNL_SUBSYS_CTNETLINK);
  if (!g) return Error{g.error()};
  GlobalStats out;
  bool bad = false;
  bool ok = for_each_attr(nlh, nullptr, [&](const nlattr* a) {
    const uint16_t type = mnl_attr_get_type(a);
    if (type != CTA_STATS_GLOBAL_ENTRIES && type != CTA_STATS_GLOBAL_MAX_ENTRIES) return;
    if (mnl_attr_get_payload_len(a) != 4) {
      bad = true;
      return;
    }
    (type == CTA_STATS_GLOBAL_ENTRIES ? out.entries : out.max_entries) = ntohl(mnl_attr_get_u32(a));
  });
  if (!ok || bad) return Error{"malformed table statistics message"};
  return out;
}

Expected<CtEntryKey> parse_ct_entry(const nlmsghdr* nlh) {
  auto g = nfgen(nlh, NFNL_SUBSYS_CTNETLINK);
  if (!g) return Error{g.error()};
  CtEntryKey k;
  std::optional<uint16_t> zone, orig_zone, reply_zone;
  bool bad = false;
  auto u16 = [&](const nlattr* a) -> std::optional<uint16_t> {
    if (mnl_attr_get_payload_len(a) != 2) {
      bad = true;
      return std::nullopt;
    }
    return ntohs(mnl_attr_get_u16(a));
  };
  auto u8 = [&](const nlattr* a) -> uint8_t {
    if (mnl_attr_get_payload_len(a) != 1) {
      bad = true;
      return 0;
    }
    return mnl_attr_get_u8(a);
  };
  auto tuple = [&](const nlattr* t, std::optional<uint16_t>& tzone, bool want_proto) {
    bad |= !for_each_attr(nlh, t, [&](const nlattr* a) {
      const uint16_t type = mnl_attr_get_type(a);
      if (type == CTA_TUPLE_ZONE) {
        tzone = u16(a);
      } else if (type == CTA_TUPLE_PROTO && want_proto) {
        bad |= !for_each_attr(nlh, a, [&](const nlattr* p) {
          if (mnl_attr_get_type(p) == CTA_PROTO_NUM) k.l4proto = u8(p);
        });
      }
    });
  };
  bool ok = for_each_attr(nlh, nullptr, [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case CTA_ZONE: zone = u16(a); break;
      case CTA_TUPLE_ORIG: tuple(a, orig_zone, true); break;
      case CTA_TUPLE_REPLY: tuple(a, reply_zone, false); break;
      case CTA_PROTOINFO:
        bad |= !for_each_attr(nlh, a, [&](const nlattr* p) {
          if (mnl_attr_get_type(p) != CTA_PROTOINFO_TCP) return;
          bad |= !for_each_attr(nlh, p, [&](const nlattr* t) {
            if (mnl_attr_get_type(t) == CTA_PROTOINFO_TCP_STATE) k.tcp_state = u8(t);
          });
        });
        break;
      default: break;
    }
  });
  if (!ok || bad) return Error{"malformed conntrack entry message"};
  // The kernel sends CTA_ZONE for a zone of both directions, CTA_TUPLE_ZONE inside the
  // tuple for a zone of one direction, and nothing for zone 0.
  if (zone) {
    k.zone = *zone;
    k.zone_dir = 3;
  } else if (orig_zone) {
    k.zone = *orig_zone;
    k.zone_dir = reply_zone && *reply_zone == *orig_zone ? 3 : 1;
  } else if (reply_zone) {
    k.zone = *reply_zone;
    k.zone_dir = 2;
  }
  if (k.l4proto != IPPROTO_TCP) k.tcp_state = kNoTcpState;
  return k;
}

ReplyWalk walk_reply(const void* buf, size_t len, uint32_t seq, uint32_t portid,
                     const MessageHandler& on_msg) {
  using enum ReplyStatus;
  // Not mnl_nlmsg_ok()/mnl_nlmsg_next(): they compare nlmsg_len as an int, so a length
  // of 2^31 or more passes, and MNL_ALIGN() of a length near 2^32 wraps to 0 (a walk
  // that never advances). Lengths are checked here in size_t against the bytes left, and
  // the *aligned* length too: libmnl's attribute walk runs to the aligned end of the
  // message, so a last message of 4k+1..4k+3 bytes would let it read past the data.
  const auto* p = static_cast<const char*>(buf);
  size_t left = len;
  while (left >= sizeof(nlmsghdr)) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(p);
    const size_t msg_len = nlh->nlmsg_len;
    const size_t aligned = (msg_len + MNL_ALIGNTO - 1) & ~size_t{MNL_ALIGNTO - 1};
    if (msg_len < sizeof(nlmsghdr) || aligned > left)
      return {Aborted, "malformed netlink message length " + std::to_string(msg_len) + " with " +
                           std::to_string(left) + " bytes left"};
    p += aligned;
    left -= aligned;
    // Late answers to an earlier, abandoned request are skipped.
    if (!mnl_nlmsg_seq_ok(nlh, seq) || !mnl_nlmsg_portid_ok(nlh, portid)) continue;
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) return {Aborted, "dump interrupted by a concurrent change", CtError::Interrupted};
    switch (nlh->nlmsg_type) {
      case NLMSG_NOOP: break;
      case NLMSG_DONE: {
        // A dump that failed ends with NLMSG_DONE carrying a negative errno.
        if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
          int err = *static_cast<const int*>(mnl_nlmsg_get_payload(nlh));
          if (err < 0) return {Failed, kernel_error(err), CtError::Kernel};
        }
        return {Done, {}};
      }
      case NLMSG_ERROR: {
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) return {Aborted, "truncated netlink error"};
        auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (e->error == 0) return {Done, {}};  // the ACK
        return {Failed, kernel_error(e->error), CtError::Kernel};
      }
      case NLMSG_OVERRUN: return {Aborted, "netlink overrun"};
      default:
        if (auto err = on_msg(nlh)) return {Aborted, *err};
    }
  }
  if (left != 0) return {Aborted, "truncated netlink message"};
  return {More, {}};
}

bool sent_by_kernel(const sockaddr_nl& from, socklen_t from_len) {
  return from_len == sizeof(sockaddr_nl) && from.nl_family == AF_NETLINK && from.nl_pid == 0;
}

}  // namespace nfct
