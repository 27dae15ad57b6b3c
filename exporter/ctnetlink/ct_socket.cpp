#include "ct_socket.h"

#include <libmnl/libmnl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "netns_enter.h"
#include "ct_errors.h"

namespace nfct {
namespace {

// The kernel sizes dump messages to what recvmsg() asked for, capped near 32 KiB.
constexpr size_t kRecvBufferSize = 64 * 1024;

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

CtSocket::CtSocket(mnl_socket* nl)
    : nl_(nl),
      portid_(mnl_socket_get_portid(nl)),
      seq_(static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      buf_(kRecvBufferSize) {}

CtSocket::~CtSocket() { mnl_socket_close(nl_); }

Expected<std::unique_ptr<CtSocket>> CtSocket::open_here() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!nl) return Error{sys_error("netlink socket")};
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    Error e{sys_error("netlink bind")};
    mnl_socket_close(nl);
    return e;
  }
  // Reading our own answers only: extended ACKs and the like are not asked for.
  return std::unique_ptr<CtSocket>(new CtSocket(nl));
}

Expected<std::unique_ptr<CtSocket>> CtSocket::open_in_netns(const std::string& path, uint64_t inode) {
  Expected<std::unique_ptr<CtSocket>> sock = Error{"not opened"};
  auto entered = run_in_netns(path, inode, [&] { sock = open_here(); });
  if (!entered) return Error{entered.error()};
  return sock;
}

Expected<bool> CtSocket::transact(CtRequest request, Deadline deadline, const MessageHandler& on_msg) {
  if (broken_) return Error{"socket unusable after an earlier error"};
  // Every way out with an error is counted once, by its reason.
  auto fail = [](CtError why, std::string what) -> Expected<bool> {
    count_ct_error(why);
    return Error{std::move(what)};
  };
  alignas(nlmsghdr) char req[kRequestBufferSize];
  const uint32_t seq = ++seq_;
  nlmsghdr* nlh = build_request(request, seq, req);
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return fail(CtError::Send, sys_error("netlink send"));
  // From here on, an early return leaves part of the answer in the socket.
  broken_ = true;
  const int fd = mnl_socket_get_fd(nl_);
  for (;;) {
    // Rounded up, so that a poll that times out is past the deadline.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return fail(CtError::Timeout, "no complete answer before the deadline");
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc == 0 || (rc < 0 && errno == EINTR)) continue;
    if (rc < 0) return fail(CtError::Receive, sys_error("poll"));
    sockaddr_nl from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = ::recvfrom(fd, buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    // ENOBUFS: the kernel could not queue part of the answer (the receive buffer was
    // full) and dropped it; the socket reports that once, before any queued datagram.
    if (n < 0) return fail(CtError::Receive, sys_error("netlink receive"));
    // A datagram from another process (one with CAP_NET_ADMIN over the namespace may
    // write to our port) is not part of the answer: dropped unread, and counted.
    if (!sent_by_kernel(from, from_len)) {
      count_ct_error(CtError::Foreign);
      continue;
    }
    if (static_cast<size_t>(n) > buf_.size())
      return fail(CtError::Malformed, "netlink message larger than the receive buffer");
    ReplyWalk walk = walk_reply(buf_.data(), static_cast<size_t>(n), seq, portid_, on_msg);
    switch (walk.status) {
      case ReplyStatus::More: continue;
      case ReplyStatus::Done: broken_ = false; return true;
      case ReplyStatus::Failed: broken_ = false; return fail(walk.reason, walk.error);  // the answer ended
      case ReplyStatus::Aborted:
        // A handler that gave up because the deadline passed (a long dump) timed out.
        if (walk.reason == CtError::Malformed && std::chrono::steady_clock::now() >= deadline)
          return fail(CtError::Timeout, walk.error);
        return fail(walk.reason, walk.error);
    }
  }
}

}  // namespace nfct
