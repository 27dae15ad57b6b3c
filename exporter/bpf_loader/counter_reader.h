// Reads the BPF counter maps (slots and hash) and sums their per-CPU values.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "counter_slots.h"

#include "expected.h"
#include "nfct.h"
#include "percpu_hash.h"

namespace nfct {

struct CounterEntry {
  nfct_key key;
  nfct_value value;  // summed over CPUs
};

class CounterReader {
 public:
  // `nslots`: entries of the slot map per CPU, 0 when the slots are off.
  CounterReader(int counters_fd, int overflow_fd, int slots_fd = -1, uint32_t nslots = 0);

  // One total per key: slots of every CPU + hash entries + the counts moved out of the
  // hash for vanished namespaces, without the keys of namespaces that vanished and have
  // not counted a packet since. Batched lookups: a few syscalls per scrape. Monotonic:
  // see the concurrency argument at count_slot() in bpf/nfct.bpf.c and purge_netns().
  // `hash_entries`, when given, receives the number of entries in the hash map.
  Expected<std::vector<CounterEntry>> read_counters(size_t* hash_entries = nullptr) const;
  // Overflowed packets and bytes per probe index.
  Expected<std::vector<nfct_overflow>> read_overflow() const;
  // A namespace no longer exists: frees its hash entries (their counts are kept here, so
  // that a later namespace with the same inode number continues its series instead of
  // restarting them: the label cannot tell the two apart) and hides its series until a
  // packet is counted for its inode number again. Returns the hash entries freed.
  size_t purge_netns(uint32_t netns) const;

 private:
  Expected<std::vector<CounterEntry>> read_hash() const;

  int counters_fd_;
  int overflow_fd_;
  int slots_fd_;
  uint32_t nslots_;
  int ncpus_;
  // Serialises scrapes and purges: a purge moves counts from the hash into retired_, and
  // a scrape that saw the one without the other would see them decrease.
  mutable std::mutex mu_;
  mutable CounterTotals retired_;
  // Vanished namespace -> its packet total when it vanished.
  mutable std::unordered_map<uint32_t, uint64_t> hidden_;
};

}  // namespace nfct
