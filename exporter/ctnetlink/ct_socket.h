// A ctnetlink socket bound to one network namespace, with deadlines on every answer.
#pragma once

#include <linux/netlink.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ctnetlink_msg.h"
#include "expected.h"

struct mnl_socket;

namespace nfct {

using Deadline = std::chrono::steady_clock::time_point;

class CtSocket {
 public:
  // A netlink socket belongs to the namespace it is created in: this one is created by
  // a short-lived thread that enters the namespace at `path`, so no thread of the
  // exporter ever changes its namespace. `inode` (when not 0) must be the namespace's,
  // so that a reused path cannot hand us another namespace. The socket keeps its
  // namespace alive until it is closed.
  static Expected<std::unique_ptr<CtSocket>> open_in_netns(const std::string& path, uint64_t inode);
  // A socket in the caller's own namespace.
  static Expected<std::unique_ptr<CtSocket>> open_here();
  ~CtSocket();
  CtSocket(const CtSocket&) = delete;
  CtSocket& operator=(const CtSocket&) = delete;

  // Sends one request and hands every message of its answer to `on_msg` until the
  // answer ends. An error from the kernel or from `on_msg`, or the deadline passing,
  // is an Error; after one that left part of an answer unread the socket is broken()
  // and must be replaced.
  Expected<bool> transact(CtRequest request, Deadline deadline, const MessageHandler& on_msg);
  bool broken() const { return broken_; }
  // The socket's netlink port id (its address).
  uint32_t portid() const { return portid_; }

  // One request at a time per socket: callers that share it hold this.
  std::mutex& mutex() { return mu_; }

 private:
  explicit CtSocket(mnl_socket* nl);
  mnl_socket* nl_;
  uint32_t portid_;
  uint32_t seq_;
  bool broken_ = false;
  std::vector<char> buf_;
  std::mutex mu_;
};

}  // namespace nfct
