// A map kept as one sorted vector of (key, value) pairs: what the counter aggregates are.
// Built by appending keys in increasing order (one pass over sorted map entries), so a
// scrape makes one allocation per family instead of one node per series, and iterating
// it is a sequential read. Looking a key up is a binary search.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace nfct {

template <class K, class V>
class FlatMap {
 public:
  using value_type = std::pair<K, V>;

  FlatMap() = default;
  // Any order; equal keys are added up (for tests and small literals).
  FlatMap(std::initializer_list<value_type> items) : items_(items) { sort_and_merge(); }

  // Appends a key greater than every key so far, or adds to the last one when equal.
  void add_sorted(const K& k, const V& v) {
    if (!items_.empty() && !(items_.back().first < k)) {
      if (k < items_.back().first) throw std::logic_error("FlatMap::add_sorted: key out of order");
      add(items_.back().second, v);
      return;
    }
    items_.emplace_back(k, v);
  }
  // Appends in any order; sort_and_merge() makes it a map again.
  void add_unsorted(const K& k, const V& v) { items_.emplace_back(k, v); }
  void sort_and_merge() {
    std::sort(items_.begin(), items_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t w = 0;
    for (size_t r = 0; r < items_.size(); r++) {
      if (w && !(items_[w - 1].first < items_[r].first))
        add(items_[w - 1].second, items_[r].second);
      else
        items_[w++] = items_[r];
    }
    items_.resize(w);
  }

  // Inserts (keeping the order) when missing: O(n), for tests and small maps.
  V& operator[](const K& k) {
    auto it = lower(k);
    if (it == items_.end() || k < it->first) it = items_.insert(it, value_type(k, V{}));
    return it->second;
  }
  const V& at(const K& k) const {
    auto it = lower(k);
    if (it == items_.end() || k < it->first) throw std::out_of_range("FlatMap::at");
    return it->second;
  }
  size_t count(const K& k) const {
    auto it = lower(k);
    return it != items_.end() && !(k < it->first);
  }

  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }  // keeps the capacity
  void reserve(size_t n) { items_.reserve(n); }
  template <class Pred>
  size_t erase_if(Pred p) {
    return std::erase_if(items_, p);
  }

  bool operator==(const FlatMap& o) const { return items_ == o.items_; }
  bool operator==(const std::map<K, V>& m) const {
    return items_.size() == m.size() && std::equal(items_.begin(), items_.end(), m.begin(), [](const auto& a, const auto& b) {
             return a.first == b.first && a.second == b.second;
           });
  }

 private:
  // Counts add up; a {packets, bytes} pair adds field by field.
  static void add(V& a, const V& b) {
    if constexpr (std::is_arithmetic_v<V>) {
      a += b;
    } else {
      a.packets += b.packets;
      a.bytes += b.bytes;
    }
  }
  auto lower(const K& k) const {
    return std::lower_bound(items_.begin(), items_.end(), k, [](const value_type& a, const K& b) { return a.first < b; });
  }
  auto lower(const K& k) {
    return std::lower_bound(items_.begin(), items_.end(), k, [](const value_type& a, const K& b) { return a.first < b; });
  }

  std::vector<value_type> items_;
};

}  // namespace nfct
