// Reads the BPF counter maps and sums their per-CPU values.
#pragma once

#include <cstdint>
#include <vector>

#include "expected.h"
#include "nfct.h"

namespace nfct {

struct CounterEntry {
  nfct_key key;
  nfct_value value;  // summed over CPUs
};

class CounterReader {
 public:
  CounterReader(int counters_fd, int overflow_fd);

  // All entries of the counter map. Uses batched lookups (a few syscalls per scrape
  // instead of two per entry).
  Expected<std::vector<CounterEntry>> read_counters() const;
  // Overflowed packets and bytes per probe index.
  Expected<std::vector<nfct_overflow>> read_overflow() const;
  // Deletes every entry of a namespace that no longer exists; returns how many.
  size_t purge_netns(uint32_t netns) const;

 private:
  int counters_fd_;
  int overflow_fd_;
  int ncpus_;
};

// Sums `ncpus` consecutive per-CPU values (the layout bpf_map_lookup_elem returns).
nfct_value sum_percpu(const nfct_value* values, int ncpus);

}  // namespace nfct
