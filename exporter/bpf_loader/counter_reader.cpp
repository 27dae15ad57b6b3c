#include "counter_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "error.h"

namespace nfct {
namespace {

// The key as two integers ordered like key_less: (probe, netns, zone, zone_dir) and
// (state, status). `pad` is always zero and left out.
struct Packed {
  uint64_t hi, lo;
};
Packed pack(const nfct_key& k) {
  return {uint64_t{k.probe} << 56 | uint64_t{k.netns} << 24 | uint64_t{k.zone} << 8 | k.zone_dir,
          uint64_t{k.state} << 16 | k.status};
}

}  // namespace

bool key_less(const nfct_key& a, const nfct_key& b) {
  const Packed x = pack(a), y = pack(b);
  return x.hi != y.hi ? x.hi < y.hi : x.lo < y.lo;
}

bool key_equal(const nfct_key& a, const nfct_key& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void sort_and_merge(std::vector<CounterEntry>& entries, SortCache* cache) {
  // Each key is packed once into one 128-bit integer (the packed key leaves out `pad`, a
  // constant), and those are sorted with their index rather than the entries with
  // key_less, which packs both keys on every compare. Then the entries are gathered in
  // that order, equal keys added up.
  SortCache local;
  SortCache& c = cache ? *cache : local;
  std::vector<unsigned __int128> keys(entries.size());
  for (size_t i = 0; i < entries.size(); i++) {
    const Packed p = pack(entries[i].key);
    keys[i] = static_cast<unsigned __int128>(p.hi) << 64 | p.lo;
  }
  if (!cache || keys != c.input) {
    c.order.resize(keys.size());
    for (size_t i = 0; i < keys.size(); i++) c.order[i] = static_cast<uint32_t>(i);
    std::sort(c.order.begin(), c.order.end(), [&keys](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    c.merges.assign(keys.size(), false);
    for (size_t r = 1; r < c.order.size(); r++) c.merges[r] = keys[c.order[r]] == keys[c.order[r - 1]];
    c.input.swap(keys);
  }
  std::vector<CounterEntry> out;
  out.reserve(entries.size());
  for (size_t r = 0; r < c.order.size(); r++) {
    const CounterEntry& e = entries[c.order[r]];
    if (c.merges[r])
      add_counts(out.back().value, e.value);
    else
      out.push_back(e);
  }
  entries.swap(out);
}

CounterReader::CounterReader(int counters_fd, int overflow_fd, const SlotTableView* table, size_t max_retired)
    : counters_fd_(counters_fd),
      overflow_fd_(overflow_fd),
      table_(table),
      ncpus_(libbpf_num_possible_cpus()),
      max_retired_(max_retired) {
  if (ncpus_ <= 0) throw FatalError("cannot count possible CPUs");
}

Expected<std::vector<CounterEntry>> CounterReader::read_counters(size_t* hash_entries, size_t* table_slots) const {
  std::lock_guard lock(mu_);
  std::vector<CounterEntry> out;
  out.reserve(sort_cache_.input.size() + 64);  // about the last scrape's entries: no regrowth
  auto n = read_percpu_hash<CounterEntry, nfct_key>(counters_fd_, ncpus_, "counter map", out);
  if (!n) return Error{n.error()};
  if (hash_entries) *hash_entries = *n;
  if (table_) {
    const size_t used = table_->append_to<CounterEntry, nfct_key>(out);
    if (table_slots) *table_slots = used;
  }
  out.insert(out.end(), retired_.begin(), retired_.end());
  sort_and_merge(out, &sort_cache_);
  // A hidden namespace whose total grew has counted packets again: its inode number was
  // reused. Its series come back, continuing from where they were.
  hidden_.reveal_reused(out.begin(), out.end());
  if (!hidden_.empty()) std::erase_if(out, [this](const CounterEntry& e) { return hidden_.hidden(e.key.netns); });
  return out;
}

Expected<std::vector<nfct_overflow>> CounterReader::read_overflow() const {
  std::vector<nfct_overflow> out(NFCT_MAX_PROBES);
  std::vector<nfct_overflow> percpu(ncpus_);
  for (uint32_t i = 0; i < NFCT_MAX_PROBES; i++) {
    if (bpf_map_lookup_elem(overflow_fd_, &i, percpu.data()) != 0)
      return Error{std::string("reading the overflow map: ") + std::strerror(errno)};
    out[i] = sum_percpu(percpu.data(), ncpus_);
  }
  return out;
}

size_t CounterReader::purge_netns(uint32_t netns) const {
  std::lock_guard lock(mu_);
  const auto doomed = keys_of_netns<nfct_key>(counters_fd_, netns);
  // Lookup-and-delete is one step in the kernel (under the bucket lock), so no packet
  // counted before it is lost between reading and deleting. A program that looked the
  // entry up just before and increments it just after loses that increment; that needs a
  // packet of this inode number, i.e. a new namespace that already reuses it.
  size_t n = 0;
  std::vector<nfct_value> percpu(ncpus_);
  for (const auto& k : doomed) {
    if (bpf_map_lookup_and_delete_elem(counters_fd_, &k, percpu.data()) != 0) continue;
    retired_.push_back({k, sum_percpu(percpu.data(), ncpus_)});
    n++;
  }
  sort_and_merge(retired_);
  uint64_t total = 0;
  for (const auto& e : retired_)
    if (e.key.netns == netns) total += e.value.packets;
  if (table_) total += table_->netns_slots(netns).packets;
  hidden_.hide(netns, total);
  retired_seq_[netns] = ++purges_;
  while (retired_.size() > max_retired_ && retired_seq_.size() > 1) forget_oldest_retired();
  return n;
}

void CounterReader::forget_oldest_retired() const {
  auto oldest = std::min_element(retired_seq_.begin(), retired_seq_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
  const uint32_t ns = oldest->first;
  retired_seq_.erase(oldest);
  uint64_t dropped = 0;
  std::erase_if(retired_, [ns, &dropped](const CounterEntry& e) {
    if (e.key.netns != ns) return false;
    dropped += e.value.packets;
    return true;
  });
  // What stays of its total is in slots still claimed by its keys: a namespace that
  // reuses the number shows up once it counts beyond that.
  hidden_.forget_packets(ns, dropped);
}

size_t CounterReader::retired_keys() const {
  std::lock_guard lock(mu_);
  return retired_.size();
}

}  // namespace nfct
