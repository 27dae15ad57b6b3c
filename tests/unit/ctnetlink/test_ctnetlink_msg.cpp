// ctnetlink requests and the parsing of the kernel's answers (exporter/ctnetlink_msg.h),
// on replies built here with libmnl the way the kernel lays them out.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ct_names.h"
#include "ctnetlink_msg.h"
#include "table_stats.h"

using namespace nfct;

namespace {

constexpr uint32_t kSeq = 77;
constexpr uint32_t kPort = 4242;

// A buffer of netlink messages, as one recv() would return them.
class Reply {
 public:
  Reply() : buf_(64 * 1024, 0) {}

  // Starts a message of subsystem/type with an nfgenmsg; attributes go after it.
  nlmsghdr* begin(uint8_t subsys, uint8_t type, uint16_t res_id = 0, uint16_t flags = NLM_F_MULTI,
                  uint32_t seq = kSeq, uint8_t family = AF_INET) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data() + used_);
    nlh->nlmsg_type = static_cast<uint16_t>((subsys << 8) | type);
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = seq;
    nlh->nlmsg_pid = kPort;
    auto* g = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    g->nfgen_family = family;
    g->version = NFNETLINK_V0;
    g->res_id = htons(res_id);
    current_ = nlh;
    return nlh;
  }
  void end() { used_ += current_->nlmsg_len; }

  void done(int error = 0, uint32_t seq = kSeq) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data() + used_);
    nlh->nlmsg_type = NLMSG_DONE;
    nlh->nlmsg_flags = NLM_F_MULTI;
    nlh->nlmsg_seq = seq;
    nlh->nlmsg_pid = kPort;
    auto* e = static_cast<int*>(mnl_nlmsg_put_extra_header(nlh, sizeof(int)));
    *e = error;
    used_ += nlh->nlmsg_len;
  }

  void error(int err, uint32_t seq = kSeq) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data() + used_);
    nlh->nlmsg_type = NLMSG_ERROR;
    nlh->nlmsg_seq = seq;
    nlh->nlmsg_pid = kPort;
    auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
    e->error = err;
    used_ += nlh->nlmsg_len;
  }

  const void* data() const { return buf_.data(); }
  size_t size() const { return used_; }

 private:
  std::vector<char> buf_;  // heap memory: aligned for nlmsghdr
  size_t used_ = 0;
  nlmsghdr* current_ = nullptr;
};

nlmsghdr* stats_cpu_msg(Reply& r, uint16_t cpu, std::initializer_list<std::pair<uint16_t, uint32_t>> attrs,
                        uint8_t subsys = NFNL_SUBSYS_CTNETLINK, uint8_t type = IPCTNL_MSG_CT_GET_STATS_CPU) {
  nlmsghdr* nlh = r.begin(subsys, type, cpu);
  for (auto [a, v] : attrs) mnl_attr_put_u32(nlh, a, htonl(v));
  r.end();
  return nlh;
}

struct Collected {
  std::vector<const nlmsghdr*> msgs;
  MessageHandler handler() {
    return [this](const nlmsghdr* nlh) -> std::optional<std::string> {
      msgs.push_back(nlh);
      return std::nullopt;
    };
  }
};

}  // namespace

TEST_CASE("requests are read-only netfilter requests for every family") {
  alignas(nlmsghdr) char buf[kRequestBufferSize];
  struct Want {
    CtRequest r;
    uint8_t subsys;
    uint8_t type;
    bool dump;
  };
  for (const Want& w : {Want{CtRequest::StatsCpu, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, true},
                        Want{CtRequest::Stats, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, false},
                        Want{CtRequest::ExpStatsCpu, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET_STATS_CPU, true},
                        Want{CtRequest::ExpDump, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET, true},
                        Want{CtRequest::CtDump, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, true}}) {
    CAPTURE(static_cast<int>(w.r));
    nlmsghdr* nlh = build_request(w.r, 1234, buf);
    CHECK(nlh->nlmsg_type == ((w.subsys << 8) | w.type));
    CHECK(nlh->nlmsg_seq == 1234);
    CHECK(nlh->nlmsg_len == mnl_nlmsg_size(sizeof(nfgenmsg)));  // no attributes: no filter
    CHECK((nlh->nlmsg_flags & NLM_F_REQUEST) != 0);
    CHECK(((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) == w.dump);
    CHECK(((nlh->nlmsg_flags & NLM_F_ACK) != 0) == !w.dump);  // a definite end for Stats
    CHECK(is_dump(w.r) == w.dump);
    auto* g = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
    CHECK(g->nfgen_family == AF_UNSPEC);
    CHECK(g->version == NFNETLINK_V0);
    CHECK(g->res_id == 0);
  }
}

TEST_CASE("per-CPU statistics: the CPU from res_id, the counters the kernel sent") {
  Reply r;
  const nlmsghdr* nlh = stats_cpu_msg(r, 3,
                                      {{CTA_STATS_FOUND, 5},
                                       {CTA_STATS_INVALID, 7},
                                       {CTA_STATS_DROP, 4000000000u},
                                       {CTA_STATS_CHAIN_TOOLONG, 1},
                                       {40, 99}});  // a newer kernel's: ignored
  auto row = parse_stat_cpu(nlh, false);
  REQUIRE(row);
  CHECK(row->cpu == 3);
  CHECK(row->row.value[CTA_STATS_FOUND] == 5);
  CHECK(row->row.value[CTA_STATS_INVALID] == 7);
  CHECK(row->row.value[CTA_STATS_DROP] == 4000000000u);
  CHECK(row->row.value[CTA_STATS_CHAIN_TOOLONG] == 1);
  CHECK(row->row.present.count() == 4);
  CHECK_FALSE(row->row.present[CTA_STATS_INSERT]);
}

TEST_CASE("per-CPU statistics: malformed and foreign messages are errors") {
  Reply r;
  nlmsghdr* bad = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, 0);
  const char three[3] = {1, 2, 3};
  mnl_attr_put(bad, CTA_STATS_FOUND, sizeof three, three);
  r.end();
  CHECK_FALSE(parse_stat_cpu(bad, false));
  const nlmsghdr* foreign = stats_cpu_msg(r, 0, {{1, 1}}, NFNL_SUBSYS_QUEUE, 0);
  CHECK_FALSE(parse_stat_cpu(foreign, false));
}

TEST_CASE("expectation statistics come with either subsystem id") {
  Reply r;
  // The kernel answers EXP_GET_STATS_CPU with NFNL_SUBSYS_CTNETLINK.
  const nlmsghdr* a = stats_cpu_msg(r, 1, {{CTA_STATS_EXP_NEW, 2}, {CTA_STATS_EXP_CREATE, 3}, {CTA_STATS_EXP_DELETE, 4}},
                                    NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_EXP_GET_STATS_CPU);
  const nlmsghdr* b = stats_cpu_msg(r, 0, {{CTA_STATS_EXP_NEW, 1}}, NFNL_SUBSYS_CTNETLINK_EXP,
                                    IPCTNL_MSG_EXP_GET_STATS_CPU);
  auto ra = parse_stat_cpu(a, true);
  auto rb = parse_stat_cpu(b, true);
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(ra->cpu == 1);
  CHECK(ra->row.value[CTA_STATS_EXP_CREATE] == 3);
  CHECK(rb->row.value[CTA_STATS_EXP_NEW] == 1);
  CHECK(*exp_stat_name(CTA_STATS_EXP_NEW) == "new");
  CHECK(*exp_stat_name(CTA_STATS_EXP_CREATE) == "create");
  CHECK(*exp_stat_name(CTA_STATS_EXP_DELETE) == "delete");
  CHECK_FALSE(exp_stat_name(0));
}

TEST_CASE("statistic names are conntrack -S's") {
  CHECK(*ct_stat_name(CTA_STATS_FOUND) == "found");
  CHECK(*ct_stat_name(CTA_STATS_INVALID) == "invalid");
  CHECK(*ct_stat_name(CTA_STATS_INSERT) == "insert");
  CHECK(*ct_stat_name(CTA_STATS_INSERT_FAILED) == "insert_failed");
  CHECK(*ct_stat_name(CTA_STATS_DROP) == "drop");
  CHECK(*ct_stat_name(CTA_STATS_EARLY_DROP) == "early_drop");
  CHECK(*ct_stat_name(CTA_STATS_ERROR) == "error");
  CHECK(*ct_stat_name(CTA_STATS_SEARCH_RESTART) == "search_restart");
  CHECK(*ct_stat_name(CTA_STATS_CLASH_RESOLVE) == "clash_resolve");
  CHECK(*ct_stat_name(CTA_STATS_CHAIN_TOOLONG) == "chaintoolong");
  CHECK_FALSE(ct_stat_name(CTA_STATS_UNSPEC));
  CHECK_FALSE(ct_stat_name(CTA_STATS_MAX + 1));
}

TEST_CASE("sums over CPUs keep what any CPU reported") {
  Reply r;
  auto a = parse_stat_cpu(stats_cpu_msg(r, 0, {{CTA_STATS_DROP, 2}, {CTA_STATS_FOUND, 1}}), false);
  auto b = parse_stat_cpu(stats_cpu_msg(r, 1, {{CTA_STATS_DROP, 5}, {CTA_STATS_ERROR, 9}}), false);
  REQUIRE(a);
  REQUIRE(b);
  StatRow sum = sum_rows({*a, *b});
  CHECK(sum.value[CTA_STATS_DROP] == 7);
  CHECK(sum.value[CTA_STATS_FOUND] == 1);
  CHECK(sum.value[CTA_STATS_ERROR] == 9);
  CHECK(sum.present.count() == 3);
  CHECK(sum_rows({}).present.none());
}

TEST_CASE("global statistics: entries and limit") {
  Reply r;
  nlmsghdr* nlh = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, 0, 0);
  mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_ENTRIES, htonl(123456));
  mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_MAX_ENTRIES, htonl(262144));
  r.end();
  auto g = parse_global_stats(nlh);
  REQUIRE(g);
  CHECK(g->entries == 123456u);
  CHECK(g->max_entries == 262144u);

  nlmsghdr* only = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, 0, 0);
  mnl_attr_put_u32(only, CTA_STATS_GLOBAL_ENTRIES, htonl(1));
  r.end();
  auto o = parse_global_stats(only);
  REQUIRE(o);
  CHECK(o->entries == 1u);
  CHECK_FALSE(o->max_entries);

  nlmsghdr* bad = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, 0, 0);
  mnl_attr_put_u16(bad, CTA_STATS_GLOBAL_ENTRIES, htons(1));
  r.end();
  CHECK_FALSE(parse_global_stats(bad));
}

namespace {

// An entry as ctnetlink_fill_info lays it out, with the attributes the zone dump reads
// among others it skips.
struct EntrySpec {
  uint8_t proto = IPPROTO_UDP;
  std::optional<uint16_t> zone, orig_zone, reply_zone;
  std::optional<uint8_t> tcp_state;
};

const nlmsghdr* entry_msg(Reply& r, const EntrySpec& e) {
  nlmsghdr* nlh = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0);
  auto tuple = [&](uint16_t type, std::optional<uint16_t> zone) {
    nlattr* t = mnl_attr_nest_start(nlh, type);
    nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
    mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(0x0a000001));
    mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(0x0a000002));
    mnl_attr_nest_end(nlh, ip);
    nlattr* p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e.proto);
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(1000));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(53));
    mnl_attr_nest_end(nlh, p);
    if (zone) mnl_attr_put_u16(nlh, CTA_TUPLE_ZONE, htons(*zone));
    mnl_attr_nest_end(nlh, t);
  };
  tuple(CTA_TUPLE_ORIG, e.orig_zone);
  tuple(CTA_TUPLE_REPLY, e.reply_zone);
  mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x188));
  mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(29));
  if (e.tcp_state) {
    nlattr* pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
    nlattr* tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
    mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, *e.tcp_state);
    mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
    mnl_attr_nest_end(nlh, tcp);
    mnl_attr_nest_end(nlh, pi);
  }
  mnl_attr_put_u32(nlh, CTA_MARK, htonl(42));
  if (e.zone) mnl_attr_put_u16(nlh, CTA_ZONE, htons(*e.zone));
  mnl_attr_put_u32(nlh, CTA_ID, htonl(0xdeadbeef));
  r.end();
  return nlh;
}

CtEntryKey key_of(const EntrySpec& e) {
  Reply r;
  auto k = parse_ct_entry(entry_msg(r, e));
  REQUIRE(k);
  return *k;
}

}  // namespace

TEST_CASE("table entries: zone, zone direction, protocol and TCP state") {
  SUBCASE("zone 0 sends no zone attribute") {
    CtEntryKey k = key_of({IPPROTO_UDP, {}, {}, {}, {}});
    CHECK(k.zone == 0);
    CHECK(k.zone_dir == 3);
    CHECK(k.l4proto == IPPROTO_UDP);
    CHECK(k.tcp_state == kNoTcpState);
  }
  SUBCASE("a zone of both directions is CTA_ZONE") {
    CtEntryKey k = key_of({IPPROTO_TCP, 7, {}, {}, TCP_CONNTRACK_ESTABLISHED});
    CHECK(k.zone == 7);
    CHECK(k.zone_dir == 3);
    CHECK(k.l4proto == IPPROTO_TCP);
    CHECK(k.tcp_state == TCP_CONNTRACK_ESTABLISHED);
  }
  SUBCASE("an original-direction zone is inside the original tuple") {
    CtEntryKey k = key_of({IPPROTO_ICMP, {}, 9, {}, {}});
    CHECK(k.zone == 9);
    CHECK(k.zone_dir == 1);
    CHECK(k.l4proto == IPPROTO_ICMP);
  }
  SUBCASE("a reply-direction zone is inside the reply tuple") {
    CtEntryKey k = key_of({IPPROTO_UDP, {}, {}, 65535, {}});
    CHECK(k.zone == 65535);
    CHECK(k.zone_dir == 2);
  }
  SUBCASE("a TCP state only for TCP") {
    CHECK(key_of({IPPROTO_SCTP, {}, {}, {}, 3}).tcp_state == kNoTcpState);
    CHECK(key_of({IPPROTO_TCP, {}, {}, {}, TCP_CONNTRACK_TIME_WAIT}).tcp_state == TCP_CONNTRACK_TIME_WAIT);
  }
}

TEST_CASE("table entries: malformed attributes are errors") {
  Reply r;
  nlmsghdr* nlh = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0);
  mnl_attr_put_u32(nlh, CTA_ZONE, htonl(7));  // a zone is 16 bits
  r.end();
  CHECK_FALSE(parse_ct_entry(nlh));
}

TEST_CASE("label names of protocols and TCP states") {
  CHECK(l4proto_label(IPPROTO_TCP) == "tcp");
  CHECK(l4proto_label(IPPROTO_UDP) == "udp");
  CHECK(l4proto_label(IPPROTO_ICMP) == "icmp");
  CHECK(l4proto_label(IPPROTO_ICMPV6) == "icmpv6");
  CHECK(l4proto_label(IPPROTO_SCTP) == "sctp");
  CHECK(l4proto_label(IPPROTO_GRE) == "gre");
  CHECK(l4proto_label(200) == "200");
  CHECK(tcp_state_label(TCP_CONNTRACK_SYN_SENT) == "syn_sent");
  CHECK(tcp_state_label(TCP_CONNTRACK_ESTABLISHED) == "established");
  CHECK(tcp_state_label(TCP_CONNTRACK_TIME_WAIT) == "time_wait");
  CHECK(tcp_state_label(TCP_CONNTRACK_SYN_SENT2) == "syn_sent2");
  CHECK(tcp_state_label(50) == "50");
}

TEST_CASE("reply framing: a dump ends with NLMSG_DONE") {
  Reply r;
  stats_cpu_msg(r, 0, {{CTA_STATS_FOUND, 1}});
  stats_cpu_msg(r, 1, {{CTA_STATS_FOUND, 2}});
  Collected c;
  SUBCASE("in one datagram") {
    r.done();
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::Done);
    CHECK(c.msgs.size() == 2);
  }
  SUBCASE("not yet") {
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::More);
    CHECK(c.msgs.size() == 2);
  }
  SUBCASE("with an error") {
    r.done(-ENOMEM);
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::Failed);
    CHECK(w.reason == CtError::Kernel);
    CHECK(w.error.find(std::strerror(ENOMEM)) != std::string::npos);
  }
}

TEST_CASE("reply framing: ACKs, errors, stale answers, handler errors") {
  Collected c;
  SUBCASE("the ACK ends a request") {
    Reply r;
    nlmsghdr* nlh = r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, 0, 0);
    mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_ENTRIES, htonl(1));
    r.end();
    r.error(0);
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::Done);
    CHECK(c.msgs.size() == 1);
  }
  SUBCASE("a kernel error ends it too") {
    Reply r;
    r.error(-EPERM);
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::Failed);
    CHECK(w.reason == CtError::Kernel);
    CHECK(w.error.find(std::strerror(EPERM)) != std::string::npos);
  }
  SUBCASE("answers to an earlier request are skipped") {
    Reply r;
    stats_cpu_msg(r, 0, {{CTA_STATS_FOUND, 1}});
    r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, 0, NLM_F_MULTI, kSeq - 1);
    r.end();
    r.done(0, kSeq - 1);
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::More);
    CHECK(c.msgs.size() == 1);
  }
  SUBCASE("an interrupted dump is aborted") {
    Reply r;
    r.begin(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, NLM_F_MULTI | NLM_F_DUMP_INTR);
    r.end();
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::Aborted);
    CHECK(w.reason == CtError::Interrupted);
  }
  SUBCASE("a handler error aborts the walk") {
    Reply r;
    stats_cpu_msg(r, 0, {{CTA_STATS_FOUND, 1}});
    stats_cpu_msg(r, 1, {{CTA_STATS_FOUND, 1}});
    int calls = 0;
    ReplyWalk w = walk_reply(r.data(), r.size(), kSeq, kPort, [&](const nlmsghdr*) -> std::optional<std::string> {
      calls++;
      return std::string("no thanks");
    });
    CHECK(w.status == ReplyStatus::Aborted);
    CHECK(w.error == "no thanks");
    CHECK(w.reason == CtError::Malformed);
    CHECK(calls == 1);
  }
  SUBCASE("a truncated buffer is aborted") {
    Reply r;
    stats_cpu_msg(r, 0, {{CTA_STATS_FOUND, 1}});
    ReplyWalk w = walk_reply(r.data(), r.size() - 4, kSeq, kPort, c.handler());
    CHECK(w.status == ReplyStatus::Aborted);
    CHECK(w.reason == CtError::Malformed);
  }
}
