// Regression tests for issue 9 item 3: the ctnetlink reply walk must not trust the lengths
// and error codes in what it receives. Every buffer here is crafted byte by byte, as a
// hostile sender (a process with CAP_NET_ADMIN over a watched namespace) could write it,
// and is allocated at exactly its size so that the sanitizer pass sees any read past it.
#include <doctest/doctest.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

#include "ct_socket.h"
#include "ctnetlink_msg.h"

using namespace nfct;

namespace {

constexpr uint32_t kSeq = 91;
constexpr uint32_t kPort = 5151;

// Bytes of netlink messages, laid out by hand. data() is a heap block of exactly size()
// bytes (operator new aligns it for nlmsghdr).
class Bytes {
 public:
  // A header with the given nlmsg_len (possibly a lie) followed by `payload` bytes.
  Bytes& msg(uint32_t nlmsg_len, uint16_t type, const std::vector<uint8_t>& payload,
             uint32_t seq = kSeq, uint16_t flags = NLM_F_MULTI) {
    nlmsghdr h{};
    h.nlmsg_len = nlmsg_len;
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    h.nlmsg_pid = kPort;
    const auto* p = reinterpret_cast<const uint8_t*>(&h);
    bytes_.insert(bytes_.end(), p, p + sizeof(h));
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    return *this;
  }
  Bytes& raw(const std::vector<uint8_t>& b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  const void* data() {
    block_ = std::make_unique<uint8_t[]>(bytes_.size());
    std::memcpy(block_.get(), bytes_.data(), bytes_.size());
    return block_.get();
  }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
  std::unique_ptr<uint8_t[]> block_;
};

uint16_t ct_type(uint8_t msg) { return static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | msg); }

// nfgenmsg (family, version, res_id) and one 4-byte CTA_STATS_FOUND attribute.
std::vector<uint8_t> stats_payload() {
  return {AF_INET, NFNETLINK_V0, 0, 0, 8, 0, CTA_STATS_FOUND, 0, 0, 0, 0, 7};
}

std::vector<uint8_t> int_bytes(int v) {
  std::vector<uint8_t> b(sizeof v);
  std::memcpy(b.data(), &v, sizeof v);
  return b;
}

struct Walk {
  int calls = 0;
  ReplyWalk run(Bytes& b) {
    return walk_reply(b.data(), b.size(), kSeq, kPort, [this](const nlmsghdr* nlh) -> std::optional<std::string> {
      calls++;
      auto row = parse_stat_cpu(nlh, false);
      if (!row) return row.error();
      return std::nullopt;
    });
  }
};

}  // namespace

TEST_CASE("reply walk: a length of 2^31 or more is refused, not compared as a negative int") {
  // mnl_nlmsg_ok() casts nlmsg_len to int: 0x80000000 and above passed as "fits".
  for (uint32_t len : {0x80000000u, 0xfffffff0u, 0xffffffffu}) {
    CAPTURE(len);
    Bytes b;
    b.msg(len, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), stats_payload());
    Walk w;
    ReplyWalk r = w.run(b);
    CHECK(r.status == ReplyStatus::Aborted);
    CHECK(w.calls == 0);
  }
}

TEST_CASE("reply walk: a length whose alignment wraps to 0 ends the walk instead of spinning") {
  // MNL_ALIGN(0xfffffffd) is 0 in 32 bits: mnl_nlmsg_next() never advanced and the walk
  // spun forever under the socket's mutex. A skipped (stale) message took the same path.
  for (uint32_t seq : {kSeq, kSeq + 1}) {
    CAPTURE(seq);
    Bytes b;
    b.msg(0xfffffffdu, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), stats_payload(), seq);
    Walk w;
    CHECK(w.run(b).status == ReplyStatus::Aborted);
    CHECK(w.calls == 0);
  }
}

TEST_CASE("reply walk: lengths shorter than the header or longer than the data are refused") {
  for (uint32_t len : {0u, 1u, 15u}) {
    CAPTURE(len);
    Bytes b;
    b.msg(len, NLMSG_NOOP, {});
    Walk w;
    CHECK(w.run(b).status == ReplyStatus::Aborted);
  }
  Bytes b;
  b.msg(16 + 12 + 4, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), stats_payload());  // 4 bytes too long
  Walk w;
  CHECK(w.run(b).status == ReplyStatus::Aborted);
  CHECK(w.calls == 0);
}

TEST_CASE("reply walk: a last message whose length is not a multiple of 4 is not parsed") {
  // 16 + 4 (nfgenmsg) + 5 bytes: an attribute header claiming 5 bytes and one byte of
  // value. libmnl's attribute walk runs to the aligned end (28), 3 bytes past the data:
  // the message was handed to the parser before; now the walk stops first.
  Bytes b;
  b.msg(25, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), {AF_INET, NFNETLINK_V0, 0, 0, 8, 0, CTA_STATS_FOUND, 0, 1});
  REQUIRE(b.size() == 25);
  Walk w;
  CHECK(w.run(b).status == ReplyStatus::Aborted);
  CHECK(w.calls == 0);

  // The same message followed by its 3 bytes of padding (received bytes, as the kernel
  // pads its messages) is walked: everything the parser reads is inside the datagram.
  Bytes padded;
  padded.msg(25, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), {AF_INET, NFNETLINK_V0, 0, 0, 8, 0, CTA_STATS_FOUND, 0, 1})
      .raw({0, 0, 0});
  Walk w2;
  CHECK(w2.run(padded).status == ReplyStatus::More);
  CHECK(w2.calls == 1);
}

TEST_CASE("reply walk: well-formed messages are still walked and parsed") {
  Bytes b;
  b.msg(28, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), stats_payload())
      .msg(28, ct_type(IPCTNL_MSG_CT_GET_STATS_CPU), stats_payload())
      .msg(20, NLMSG_DONE, int_bytes(0));
  Walk w;
  CHECK(w.run(b).status == ReplyStatus::Done);
  CHECK(w.calls == 2);
}

TEST_CASE("reply walk: INT_MIN as an error code is reported without negating it in int") {
  // -INT_MIN is undefined behaviour (the sanitizer pass runs this test with UBSan).
  SUBCASE("NLMSG_DONE") {
    Bytes b;
    b.msg(20, NLMSG_DONE, int_bytes(INT_MIN));
    Walk w;
    ReplyWalk r = w.run(b);
    CHECK(r.status == ReplyStatus::Failed);
    CHECK(r.error == "kernel: error -2147483648");
  }
  SUBCASE("NLMSG_ERROR") {
    std::vector<uint8_t> payload = int_bytes(INT_MIN);
    payload.resize(sizeof(nlmsgerr), 0);  // and the echoed request header
    Bytes b;
    b.msg(16 + sizeof(nlmsgerr), NLMSG_ERROR, payload);
    Walk w;
    ReplyWalk r = w.run(b);
    CHECK(r.status == ReplyStatus::Failed);
    CHECK(r.error == "kernel: error -2147483648");
  }
  SUBCASE("an ordinary code keeps its name") {
    Bytes b;
    b.msg(20, NLMSG_DONE, int_bytes(-ENOBUFS));
    Walk w;
    CHECK(w.run(b).error == std::string("kernel: ") + std::strerror(ENOBUFS));
  }
}

TEST_CASE("only the kernel's datagrams are answers") {
  sockaddr_nl from{};
  from.nl_family = AF_NETLINK;
  CHECK(sent_by_kernel(from, sizeof from));
  from.nl_pid = 4242;  // another process's socket
  CHECK_FALSE(sent_by_kernel(from, sizeof from));
  from.nl_pid = 0;
  CHECK_FALSE(sent_by_kernel(from, 0));  // no address at all
  from.nl_family = AF_INET;
  CHECK_FALSE(sent_by_kernel(from, sizeof from));
}

TEST_CASE("a forged answer from another socket does not end a request") {
  // A second netlink socket writes an NLMSG_ERROR with sequence number 0 (which libmnl's
  // sequence check lets through) to the CtSocket's port before the request is sent: read
  // as an answer it would end the request with EBADMSG. The kernel's own answer (the
  // statistics, or EPERM without CAP_NET_ADMIN) must be the one that counts.
  auto sock = CtSocket::open_here();
  if (!sock) {
    MESSAGE("no NETLINK_NETFILTER socket here (" << sock.error() << "): not tested");
    return;
  }
  mnl_socket* spoofer = mnl_socket_open(NETLINK_NETFILTER);
  REQUIRE(spoofer != nullptr);
  REQUIRE(mnl_socket_bind(spoofer, 0, MNL_SOCKET_AUTOPID) == 0);
  alignas(nlmsghdr) char forged[NLMSG_SPACE(sizeof(nlmsgerr))] = {};
  nlmsghdr* nlh = mnl_nlmsg_put_header(forged);
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_seq = 0;
  nlh->nlmsg_pid = (*sock)->portid();
  static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)))->error = -EBADMSG;
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_pid = (*sock)->portid();
  REQUIRE(sendto(mnl_socket_get_fd(spoofer), forged, nlh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) == static_cast<ssize_t>(nlh->nlmsg_len));
  mnl_socket_close(spoofer);

  int messages = 0;
  auto r = (*sock)->transact(CtRequest::Stats, std::chrono::steady_clock::now() + std::chrono::seconds(5),
                             [&](const nlmsghdr*) -> std::optional<std::string> {
                               messages++;
                               return std::nullopt;
                             });
  if (r) {
    CHECK(messages == 1);  // the kernel's statistics message, then its ACK
  } else {
    CHECK(r.error().find(std::strerror(EBADMSG)) == std::string::npos);
    CHECK(r.error().find("deadline") == std::string::npos);
  }
  CHECK_FALSE((*sock)->broken());
}
