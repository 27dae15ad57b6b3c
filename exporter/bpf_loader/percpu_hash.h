// Reading a whole BPF per-CPU hash of {Key -> nfct_value} in batches, summing each key's
// per-CPU values: the counter map and the drop map are read the same way. Also the one
// per-CPU sum and the one `+=` of the {packets, bytes} counter pairs (nfct_value, and
// nfct_overflow, which has the same two fields).
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "expected.h"
#include "nfct.h"

namespace nfct {

// total += v, field by field, for any {packets, bytes} pair.
template <class Total, class Value>
void add_counts(Total& total, const Value& v) {
  total.packets += v.packets;
  total.bytes += v.bytes;
}

// The sum of one key's per-CPU values (`ncpus` of them, as the kernel lays them out).
template <class Value>
Value sum_percpu(const Value* values, int ncpus) {
  Value s{};
  for (int c = 0; c < ncpus; c++) add_counts(s, values[c]);
  return s;
}

// Entry must be an aggregate {Key key; nfct_value value;}. `what` names the map in errors.
// Appends to `out` (which keeps its capacity from scrape to scrape); returns the number of
// entries appended.
template <class Entry, class Key>
Expected<size_t> read_percpu_hash(int fd, int ncpus, const char* what, std::vector<Entry>& out) {
  const size_t before = out.size();
  static_assert(sizeof(nfct_value) % 8 == 0, "per-CPU values are 8-byte aligned");
  uint32_t chunk = 1024;
  std::vector<Key> keys;
  std::vector<nfct_value> values;
  uint64_t token = 0;
  bool first = true;
  for (;;) {
    keys.resize(chunk);
    values.resize(static_cast<size_t>(chunk) * ncpus);
    uint32_t count = chunk;
    uint64_t next = 0;
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &next, keys.data(), values.data(), &count,
                                   nullptr);
    int e = err ? errno : 0;
    if (err && e == ENOSPC && count == 0) {  // one bucket holds more than `chunk` keys
      chunk *= 2;
      continue;
    }
    if (err && e != ENOENT) return Error{std::string("reading the ") + what + ": " + std::strerror(e)};
    for (uint32_t i = 0; i < count; i++)
      out.push_back({keys[i], sum_percpu(&values[static_cast<size_t>(i) * ncpus], ncpus)});
    if (err) break;  // ENOENT: that was the last batch
    token = next;
    first = false;
  }
  return out.size() - before;
}

// The keys of a hash map whose `netns` field is `netns` (for purging a vanished namespace).
template <class Key>
std::vector<Key> keys_of_netns(int fd, uint32_t netns) {
  std::vector<Key> out;
  Key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (next.netns == netns) out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

template <class Entry, class Key>
Expected<std::vector<Entry>> read_percpu_hash(int fd, int ncpus, const char* what) {
  std::vector<Entry> out;
  auto r = read_percpu_hash<Entry, Key>(fd, ncpus, what, out);
  if (!r) return Error{r.error()};
  return out;
}

}  // namespace nfct
