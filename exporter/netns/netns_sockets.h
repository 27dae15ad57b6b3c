// One ctnetlink socket per covered network namespace, opened when a namespace is first
// needed and closed when it vanishes (a socket would keep a deleted namespace alive).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ct_socket.h"
#include "expected.h"
#include "netns_scan.h"

namespace nfct {

class NetnsSockets {
 public:
  // Opens a socket in the namespace at path (inode checked); replaced in tests.
  using Opener = std::function<Expected<std::unique_ptr<CtSocket>>(const std::string& path, uint64_t inode)>;
  // Whether `path` still leads to namespace `inode`; replaced in tests.
  using Exists = std::function<bool(const std::string& path, uint64_t inode)>;
  explicit NetnsSockets(Opener opener = CtSocket::open_in_netns, Exists exists = path_is_netns)
      : opener_(std::move(opener)), exists_(std::move(exists)) {}
  static bool path_is_netns(const std::string& path, uint64_t inode) { return netns_inode(path) == inode; }

  struct Slot {
    uint64_t inode;
    std::shared_ptr<CtSocket> socket;  // null when it could not be opened
    std::string error;                 // why not
  };
  // Brings the set in line with `covered`: closes sockets of namespaces no longer in it,
  // replaces broken ones and opens missing ones. Returns one slot per covered namespace,
  // except those whose path no longer leads to them: they vanished since the last
  // namespace scan, which will report them gone.
  std::vector<Slot> sync(const NetnsMap& covered);
  // Closes the namespace's socket now (ProbeManager saw it vanish).
  void forget(uint64_t inode);
  size_t size() const;

 private:
  Opener opener_;
  Exists exists_;
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<CtSocket>> sockets_;
};

}  // namespace nfct
