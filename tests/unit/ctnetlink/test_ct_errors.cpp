// nfct_exporter_ctnetlink_errors_total: every way a ctnetlink exchange goes wrong is
// counted once under its reason (exporter/ctnetlink/ct_errors.h), and a datagram from
// another process is dropped, counted, and does not end or change the answer. The socket
// cases use real netlink sockets in this process's namespace; forging a datagram needs
// CAP_NET_ADMIN (the kernel refuses unicasts to netfilter sockets otherwise), so that case
// says it is skipped without it.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "ct_errors.h"
#include "ct_socket.h"
#include "ctnetlink_msg.h"
#include "fault_collector.h"
#include "unique_fd.h"

using namespace nfct;

namespace {

uint64_t count_of(CtError e) { return ct_error_counts()[static_cast<size_t>(e)]; }

void put(std::vector<uint8_t>& b, const void* p, size_t n) {
  const auto* c = static_cast<const uint8_t*>(p);
  b.insert(b.end(), c, c + n);
}

// A message with sequence number 0 and port 0: the reply walk takes those as matching
// any request (libmnl's seq/portid checks pass 0), so only the sender check keeps it out.
void forged_msg(std::vector<uint8_t>& b, uint16_t type, const std::vector<uint8_t>& payload) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(sizeof h + payload.size());
  h.nlmsg_type = type;
  put(b, &h, sizeof h);
  b.insert(b.end(), payload.begin(), payload.end());
  b.resize((b.size() + 3) & ~size_t{3}, 0);
}

std::vector<uint8_t> be32_attr(uint16_t type, uint32_t v) {
  std::vector<uint8_t> a;
  nlattr h{8, type};
  put(a, &h, sizeof h);
  const uint32_t be = htonl(v);
  put(a, &be, sizeof be);
  return a;
}

// A complete fake answer to CtRequest::Stats: 123456789 entries, then the ACK.
std::vector<uint8_t> forged_stats_answer() {
  std::vector<uint8_t> payload = {AF_UNSPEC, NFNETLINK_V0, 0, 0};
  for (auto a : {be32_attr(CTA_STATS_GLOBAL_ENTRIES, 123456789), be32_attr(CTA_STATS_GLOBAL_MAX_ENTRIES, 7)})
    payload.insert(payload.end(), a.begin(), a.end());
  std::vector<uint8_t> b;
  forged_msg(b, static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS), payload);
  std::vector<uint8_t> ack(sizeof(nlmsgerr), 0);  // error 0: an ACK
  forged_msg(b, NLMSG_ERROR, ack);
  return b;
}

std::optional<uint64_t> read_u64(const char* path) {
  std::ifstream f(path);
  uint64_t v = 0;
  if (f >> v) return v;
  return std::nullopt;
}

}  // namespace

TEST_SUITE("ctnetlink_errors") {

TEST_CASE("every reason has its label and starts in the family at its count") {
  auto f = fault_families();
  REQUIRE(f.size() == 2);
  CHECK(f[0].name == "nfct_exporter_ctnetlink_errors_total");
  REQUIRE(f[0].metric.size() == kCtErrorKinds);
  const auto counts = ct_error_counts();
  std::vector<std::string> names;
  for (size_t i = 0; i < kCtErrorKinds; i++) {
    names.push_back(f[0].metric[i].label.at(0).value);
    CHECK(f[0].metric[i].counter.value == static_cast<double>(counts[i]));
  }
  CHECK(names == std::vector<std::string>{"foreign", "malformed", "kernel", "interrupted", "receive", "send",
                                          "timeout", "open"});
  CHECK(f[1].name == "nfct_exporter_proc_vanished_total");
  REQUIRE(f[1].metric.size() == 3);
  CHECK(f[1].metric[0].label.at(0).value == "ns/net");
}

TEST_CASE("a request whose deadline passes is a timeout, counted once; the socket is then broken") {
  auto sock = CtSocket::open_here();
  REQUIRE(sock);
  const uint64_t before = count_of(CtError::Timeout);
  auto r = (*sock)->transact(CtRequest::Stats, std::chrono::steady_clock::now() - std::chrono::seconds(1),
                             [](const nlmsghdr*) -> std::optional<std::string> { return std::nullopt; });
  CHECK_FALSE(r);
  CHECK(count_of(CtError::Timeout) == before + 1);
  CHECK((*sock)->broken());
  // A broken socket refuses further requests without counting them again.
  const auto all = ct_error_counts();
  CHECK_FALSE((*sock)->transact(CtRequest::Stats, std::chrono::steady_clock::now() + std::chrono::seconds(1),
                                [](const nlmsghdr*) -> std::optional<std::string> { return std::nullopt; }));
  CHECK(ct_error_counts() == all);
}

TEST_CASE("a forged answer from another process is dropped and counted; the kernel's answer is read") {
  auto sock = CtSocket::open_here();
  REQUIRE(sock);
  UniqueFd forger(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  REQUIRE(forger);
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_pid = (*sock)->portid();
  const auto forged = forged_stats_answer();
  // Two datagrams, queued before the request: the socket reads them first.
  for (int i = 0; i < 2; i++)
    if (::sendto(forger.get(), forged.data(), forged.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      REQUIRE(errno == EPERM);
      MESSAGE("forging a netlink datagram needs CAP_NET_ADMIN; skipped");
      return;
    }
  const auto before = ct_error_counts();
  GlobalStats got;
  auto r = (*sock)->transact(CtRequest::Stats, std::chrono::steady_clock::now() + std::chrono::seconds(5),
                             [&](const nlmsghdr* nlh) -> std::optional<std::string> {
                               auto g = parse_global_stats(nlh);
                               if (!g) return g.error();
                               got = *g;
                               return std::nullopt;
                             });
  auto after = ct_error_counts();
  CHECK(after[static_cast<size_t>(CtError::Foreign)] == before[static_cast<size_t>(CtError::Foreign)] + 2);
  if (!r) {
    // Conntrack's netlink module cannot be loaded here: the kernel's own error, not the forgery.
    MESSAGE("the kernel did not answer the statistics request: " << r.error());
    CHECK(after[static_cast<size_t>(CtError::Kernel)] == before[static_cast<size_t>(CtError::Kernel)] + 1);
    return;
  }
  after[static_cast<size_t>(CtError::Foreign)] -= 2;
  CHECK(after == before);  // nothing else counted
  CHECK_FALSE((*sock)->broken());
  REQUIRE(got.max_entries);
  CHECK(*got.max_entries != 7);
  CHECK(got.entries != std::optional<uint32_t>(123456789));
  if (auto max = read_u64("/proc/sys/net/netfilter/nf_conntrack_max")) CHECK(*got.max_entries == *max);
}

}  // TEST_SUITE
