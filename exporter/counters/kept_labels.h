// The label sets of one family's series, written for one scrape and kept for the next:
// a scrape whose series have the same keys as the last one's (label sets change only
// when a namespace, zone, state, reason ... is seen for the first time, or vanishes) only
// checks the keys and copies the text, instead of formatting every label set again.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace nfct {

template <class K>
class KeptLabels {
 public:
  // Makes the kept text that of the keys of `map` (sorted (key, value) pairs, e.g. a
  // FlatMap<K, V>): kept when they are the last call's keys in the same order, else
  // rewritten, write(text, key) appending each key's label set.
  template <class Map, class Write>
  void update(const Map& map, Write&& write) {
    const bool same = keys_.size() == map.size() &&
                      std::equal(map.begin(), map.end(), keys_.begin(),
                                 [](const auto& item, const K& k) { return item.first == k; });
    if (same) return;
    forget();
    for (const auto& item : map) {
      write(text_, item.first);
      ends_.push_back(text_.size());
      keys_.push_back(item.first);
    }
  }
  // The label text of the i-th key of the last update().
  std::string_view operator[](size_t i) const {
    const size_t start = i ? ends_[i - 1] : 0;
    return std::string_view(text_).substr(start, ends_[i] - start);
  }
  size_t size() const { return keys_.size(); }
  // Drops the kept text (when what the labels are made of changed, e.g. probe names).
  void forget() {
    keys_.clear();
    text_.clear();
    ends_.clear();
  }

 private:
  std::vector<K> keys_;
  std::string text_;
  std::vector<size_t> ends_;
};

}  // namespace nfct
