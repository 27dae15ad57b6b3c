// ctnetlink messages as bytes: the read-only requests that the table statistics and the
// zone dump send, and the parsing of the kernel's answers. Pure functions over buffers
// (no socket, no kernel), so the unit tests feed them replies built with libmnl.
#pragma once

#include <linux/netlink.h>
#include <sys/socket.h>

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ct_errors.h"
#include "expected.h"

namespace nfct {

// Every request is a read: statistics and dumps. Nothing here writes to the table
// (no CT_NEW/DELETE, and no GET_CTRZERO, which would reset the entries' counters).
enum class CtRequest {
  StatsCpu,     // IPCTNL_MSG_CT_GET_STATS_CPU, dump: one answer per CPU
  Stats,        // IPCTNL_MSG_CT_GET_STATS: entries and the table limit
  ExpStatsCpu,  // IPCTNL_MSG_EXP_GET_STATS_CPU, dump: one answer per CPU
  ExpDump,      // IPCTNL_MSG_EXP_GET, dump: one answer per expectation
  CtDump,       // IPCTNL_MSG_CT_GET, dump: one answer per entry
};

inline constexpr size_t kRequestBufferSize = 64;

// Writes the request into `buf` (at least kRequestBufferSize bytes, aligned for
// nlmsghdr); returns the header (its nlmsg_len is the length to send).
nlmsghdr* build_request(CtRequest r, uint32_t seq, void* buf);

// True when the request is a dump (its answer ends with NLMSG_DONE, not an ACK).
bool is_dump(CtRequest r);

// ---------------------------------------------------------------- per-CPU statistics

// One row of per-CPU counters, indexed by attribute type (CTA_STATS_* or
// CTA_STATS_EXP_*). `present` says which attributes the kernel sent: a kernel reports
// only the counters it has.
inline constexpr size_t kMaxStatAttr = 31;
struct StatRow {
  std::array<uint64_t, kMaxStatAttr + 1> value{};
  std::bitset<kMaxStatAttr + 1> present;
  StatRow& operator+=(const StatRow& o);
  bool operator==(const StatRow&) const = default;
};

struct CpuStatRow {
  uint16_t cpu = 0;  // nfgenmsg.res_id
  StatRow row;
};

// The name of a CTA_STATS_* attribute as `conntrack -S` prints it (found, invalid,
// insert, insert_failed, drop, early_drop, error, search_restart, clash_resolve,
// chaintoolong, and the ones old kernels sent); nullopt for types this build does not
// know (a newer kernel's) and for CTA_STATS_UNSPEC.
std::optional<std::string_view> ct_stat_name(uint16_t attr);
// The name of a CTA_STATS_EXP_* attribute: new, create, delete.
std::optional<std::string_view> exp_stat_name(uint16_t attr);

// Parses an answer to StatsCpu (conntrack) or ExpStatsCpu (expect == true).
Expected<CpuStatRow> parse_stat_cpu(const nlmsghdr* nlh, bool expect);

// The answer to Stats.
struct GlobalStats {
  std::optional<uint32_t> entries;      // CTA_STATS_GLOBAL_ENTRIES
  std::optional<uint32_t> max_entries;  // CTA_STATS_GLOBAL_MAX_ENTRIES
};
Expected<GlobalStats> parse_global_stats(const nlmsghdr* nlh);

// ---------------------------------------------------------------- table entries

// What the zone dump keeps of an entry: everything else in the message is skipped.
inline constexpr uint8_t kNoTcpState = 0xff;
struct CtEntryKey {
  uint16_t zone = 0;
  uint8_t zone_dir = 3;  // 1 original, 2 reply, 3 default (both), as in nf_conntrack_zone
  uint8_t l4proto = 0;
  uint8_t tcp_state = kNoTcpState;  // TCP_CONNTRACK_*, for TCP entries
  auto operator<=>(const CtEntryKey&) const = default;
};
Expected<CtEntryKey> parse_ct_entry(const nlmsghdr* nlh);

// The protocol and TCP state names of an entry: l4proto_label and tcp_state_label (ct_names.h).

// ---------------------------------------------------------------- reply framing

// How far a buffer of received messages got the answer to one request.
enum class ReplyStatus {
  More,     // the answer goes on in the next datagram
  Done,     // NLMSG_DONE (dumps) or the ACK (requests sent with NLM_F_ACK)
  Failed,   // the kernel ended the answer with an error
  Aborted,  // stopped in the middle: a handler error, an interrupted dump, bad framing
};
struct ReplyWalk {
  ReplyStatus status;
  std::string error;  // for Failed and Aborted
  // For Failed (Kernel) and Aborted: Interrupted, else Malformed (bad framing, or a
  // message the handler refused).
  CtError reason = CtError::Malformed;
};

// Walks the messages in `buf` (aligned for nlmsghdr) that belong to the request `seq` of
// socket `portid` (others, late answers to an abandoned request, are skipped) and hands
// each data message to `on_msg`; an error it returns aborts the walk. No length in the
// buffer is trusted: a message shorter than its header, or whose length rounded up to
// NLMSG_ALIGNTO runs past `len`, aborts the walk before anything reads it, so the parsers
// above only ever see messages that lie wholly inside the received bytes.
using MessageHandler = std::function<std::optional<std::string>(const nlmsghdr*)>;
ReplyWalk walk_reply(const void* buf, size_t len, uint32_t seq, uint32_t portid,
                     const MessageHandler& on_msg);

// True when a datagram's source address (from recvfrom()) is the kernel's (nl_pid 0).
// Any process that may open a netlink socket in the namespace can send datagrams to ours;
// only the kernel's are answers.
bool sent_by_kernel(const sockaddr_nl& from, socklen_t from_len);

}  // namespace nfct
