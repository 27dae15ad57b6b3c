// Reads the BPF counters (the counting table and the hash) and sums their per-CPU values.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "counting_table.h"
#include "expected.h"
#include "hidden_netns.h"
#include "nfct.h"
#include "percpu_hash.h"

namespace nfct {

struct CounterEntry {
  nfct_key key;
  nfct_value value;  // summed over CPUs
};

// The order of read_counters(): probe, netns, zone, zone direction, state, status. The
// series of every counter family follow from it in one pass (counter_aggregate.h).
bool key_less(const nfct_key& a, const nfct_key& b);
bool key_equal(const nfct_key& a, const nfct_key& b);
// The order a sort_and_merge() found, kept for the next call: a scrape reads the table's
// slots and the hash's buckets in the same order as the last one unless label sets came
// or went, and then only checks that the keys are the same instead of sorting again.
struct SortCache {
  std::vector<unsigned __int128> input;  // the packed keys in the order they came
  std::vector<uint32_t> order;           // input indices in key order
  std::vector<bool> merges;              // order[i] has the key of order[i - 1]
};
// Sorts `entries` by key_less and adds up the values of equal keys (one entry per key).
// With a cache, reuses its order when the keys came in the same order as last time.
void sort_and_merge(std::vector<CounterEntry>& entries, SortCache* cache = nullptr);

class CounterReader {
 public:
  // `table`: the counting table in front of the hash (it must outlive the reader), null
  // when it is off. `max_retired`: how many keys of vanished namespaces are kept (see
  // purge_netns).
  CounterReader(int counters_fd, int overflow_fd, const SlotTableView* table = nullptr,
                size_t max_retired = 65536);

  // One total per key, sorted by key_less: table slots (summed over CPUs) + hash entries +
  // the counts moved out of the hash for vanished namespaces, without the keys of
  // namespaces that vanished and have not counted a packet since. The table is read in
  // place, the hash with batched lookups (a few syscalls per scrape); one sort. Monotonic:
  // see the concurrency argument at count_in_table() in bpf/counting.bpf.h and purge_netns().
  // `hash_entries`, when given, receives the number of entries in the hash map, and
  // `table_slots` the number of used slots of the table.
  Expected<std::vector<CounterEntry>> read_counters(size_t* hash_entries = nullptr,
                                                   size_t* table_slots = nullptr) const;
  // Overflowed packets and bytes per probe index.
  Expected<std::vector<nfct_overflow>> read_overflow() const;
  // A namespace no longer exists: frees its hash entries (their counts are kept here, so
  // that a later namespace with the same inode number continues its series instead of
  // restarting them: the label cannot tell the two apart) and hides its series until a
  // packet is counted for its inode number again. Returns the hash entries freed.
  //
  // The kept counts are bounded: past `max_retired` keys, the namespaces that vanished
  // longest ago are forgotten (a namespace that reuses such an inode number starts its
  // series from zero, which Prometheus reads as a counter reset). The kernel hands out
  // the lowest free inode numbers, so with pod churn the same numbers come back and their
  // kept counts are reused rather than piling up.
  size_t purge_netns(uint32_t netns) const;
  // The counting table (null when off), for its size in nfct_map_max_entries.
  const SlotTableView* table() const { return table_; }
  // Keys of vanished namespaces kept, for the tests.
  size_t retired_keys() const;

 private:
  void forget_oldest_retired() const;

  int counters_fd_;
  int overflow_fd_;
  const SlotTableView* table_;
  int ncpus_;
  size_t max_retired_;
  // Serialises scrapes and purges: a purge moves counts from the hash into retired_, and
  // a scrape that saw the one without the other would see them decrease.
  mutable std::mutex mu_;
  // The last scrape's sort (read_counters()).
  mutable SortCache sort_cache_;
  // Counts moved out of the hash for vanished namespaces, sorted by key_less.
  mutable std::vector<CounterEntry> retired_;
  // Vanished namespaces whose series are hidden.
  mutable HiddenNetns hidden_;
  // Vanished namespace -> purge sequence number, for forgetting the oldest first.
  mutable std::unordered_map<uint32_t, uint64_t> retired_seq_;
  mutable uint64_t purges_ = 0;
};

}  // namespace nfct
