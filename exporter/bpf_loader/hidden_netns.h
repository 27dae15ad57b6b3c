// Namespaces that vanished while counts of theirs stay where a reader cannot delete them
// (counting-table slots are never freed; the counter reader also keeps their hash counts):
// their series are hidden until their inode number counts packets again, which means a
// new namespace reuses the number. Used by the counter and the drop readers, under their
// own locks.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace nfct {

class HiddenNetns {
 public:
  // Hides `netns`, whose kept counts add up to `packets`.
  void hide(uint32_t netns, uint64_t packets) { packets_[netns] = packets; }
  // Some of its kept counts were forgotten: it shows up again once it counts beyond the rest.
  void forget_packets(uint32_t netns, uint64_t packets) {
    auto it = packets_.find(netns);
    if (it != packets_.end()) it->second = it->second > packets ? it->second - packets : 0;
  }
  bool empty() const { return packets_.empty(); }
  bool hidden(uint32_t netns) const { return packets_.count(netns) > 0; }
  // Shows again each hidden namespace whose packets in [first, last) (entries with
  // key.netns and value.packets) are more than when it was hidden.
  template <class It>
  void reveal_reused(It first, It last) {
    if (packets_.empty()) return;
    std::unordered_map<uint32_t, uint64_t> now;
    for (It e = first; e != last; ++e)
      if (hidden(e->key.netns)) now[e->key.netns] += e->value.packets;
    for (auto it = packets_.begin(); it != packets_.end();)
      it = now[it->first] > it->second ? packets_.erase(it) : std::next(it);
  }

 private:
  std::unordered_map<uint32_t, uint64_t> packets_;  // netns -> its packets when hidden
};

}  // namespace nfct
