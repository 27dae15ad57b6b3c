#include "counter_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "error.h"

namespace nfct {

nfct_value sum_percpu(const nfct_value* values, int ncpus) {
  nfct_value s{};
  for (int c = 0; c < ncpus; c++) {
    s.packets += values[c].packets;
    s.bytes += values[c].bytes;
  }
  return s;
}

CounterReader::CounterReader(int counters_fd, int overflow_fd, int slots_fd, uint32_t nslots)
    : counters_fd_(counters_fd),
      overflow_fd_(overflow_fd),
      slots_fd_(slots_fd),
      nslots_(slots_fd >= 0 ? nslots : 0),
      ncpus_(libbpf_num_possible_cpus()) {
  if (ncpus_ <= 0) throw FatalError("cannot count possible CPUs");
}

Expected<std::vector<CounterEntry>> CounterReader::read_counters(size_t* hash_entries) const {
  std::lock_guard lock(mu_);
  auto hash = read_hash();
  if (!hash) return Error{hash.error()};
  if (hash_entries) *hash_entries = hash->size();
  CounterTotals totals = retired_;
  for (const auto& e : *hash) add_to(totals[e.key], e.value);
  if (nslots_) {
    auto slots = read_slots(slots_fd_, nslots_, ncpus_);
    if (!slots) return Error{slots.error()};
    add_slots(totals, *slots);
  }
  if (!hidden_.empty()) {
    // A hidden namespace whose total grew has counted packets again: its inode number
    // was reused. Its series come back, continuing from where they were.
    std::unordered_map<uint32_t, uint64_t> now;
    for (const auto& [k, v] : totals)
      if (hidden_.count(k.netns)) now[k.netns] += v.packets;
    for (auto it = hidden_.begin(); it != hidden_.end();)
      it = now[it->first] > it->second ? hidden_.erase(it) : std::next(it);
  }
  std::vector<CounterEntry> out;
  out.reserve(totals.size());
  for (const auto& [k, v] : totals)
    if (!hidden_.count(k.netns)) out.push_back({k, v});
  return out;
}

Expected<std::vector<CounterEntry>> CounterReader::read_hash() const {
  return read_percpu_hash<CounterEntry, nfct_key>(counters_fd_, ncpus_, "counter map");
}

Expected<std::vector<nfct_overflow>> CounterReader::read_overflow() const {
  std::vector<nfct_overflow> out(NFCT_MAX_PROBES);
  std::vector<nfct_overflow> percpu(ncpus_);
  for (uint32_t i = 0; i < NFCT_MAX_PROBES; i++) {
    if (bpf_map_lookup_elem(overflow_fd_, &i, percpu.data()) != 0)
      return Error{std::string("reading the overflow map: ") + std::strerror(errno)};
    for (const auto& v : percpu) {
      out[i].packets += v.packets;
      out[i].bytes += v.bytes;
    }
  }
  return out;
}

size_t CounterReader::purge_netns(uint32_t netns) const {
  std::lock_guard lock(mu_);
  std::vector<nfct_key> doomed;
  nfct_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(counters_fd_, prev, &next) == 0) {
    if (next.netns == netns) doomed.push_back(next);
    key = next;
    prev = &key;
  }
  // Lookup-and-delete is one step in the kernel (under the bucket lock), so no packet
  // counted before it is lost between reading and deleting. A program that looked the
  // entry up just before and increments it just after loses that increment; that needs a
  // packet of this inode number, i.e. a new namespace that already reuses it.
  size_t n = 0;
  std::vector<nfct_value> percpu(ncpus_);
  for (const auto& k : doomed) {
    if (bpf_map_lookup_and_delete_elem(counters_fd_, &k, percpu.data()) != 0) continue;
    add_to(retired_[k], sum_percpu(percpu.data(), ncpus_));
    n++;
  }
  uint64_t total = 0;
  for (const auto& [k, v] : retired_)
    if (k.netns == netns) total += v.packets;
  if (nslots_) {
    auto slots = read_slots(slots_fd_, nslots_, ncpus_);
    for (const auto& s : slots ? *slots : std::vector<nfct_slot>{})
      if (s.ready & NFCT_SLOT_READY && s.key.netns == netns) total += s.packets;
  }
  hidden_[netns] = total;
  return n;
}

}  // namespace nfct
