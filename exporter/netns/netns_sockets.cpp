#include "netns_sockets.h"

#include "ct_errors.h"

namespace nfct {

std::vector<NetnsSockets::Slot> NetnsSockets::sync(const NetnsMap& covered) {
  std::lock_guard lk(mu_);
  std::erase_if(sockets_, [&](const auto& kv) { return !covered.count(kv.first) || kv.second->broken(); });
  std::vector<Slot> out;
  for (const auto& [ino, path] : covered) {
    auto it = sockets_.find(ino);
    if (it != sockets_.end()) {
      out.push_back({ino, it->second, {}});
      continue;
    }
    auto s = opener_(path, ino);
    if (!s) {
      if (!exists_(path, ino)) continue;
      count_ct_error(CtError::Open);
      out.push_back({ino, nullptr, s.error()});
      continue;
    }
    std::shared_ptr<CtSocket> sock(std::move(*s));
    sockets_.emplace(ino, sock);
    out.push_back({ino, std::move(sock), {}});
  }
  return out;
}

void NetnsSockets::forget(uint64_t inode) {
  std::shared_ptr<CtSocket> victim;  // closed outside the lock
  std::lock_guard lk(mu_);
  auto it = sockets_.find(inode);
  if (it == sockets_.end()) return;
  victim = std::move(it->second);
  sockets_.erase(it);
}

size_t NetnsSockets::size() const {
  std::lock_guard lk(mu_);
  return sockets_.size();
}

}  // namespace nfct
