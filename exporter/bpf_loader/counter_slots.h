// The per-CPU counting slots (bpf/nfct.bpf.c, count_slot) and the merge of slots, hash
// entries and retired counts into one total per key.
#pragma once

#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "expected.h"
#include "nfct.h"

namespace nfct {

struct KeyHash {
  size_t operator()(const nfct_key& k) const noexcept;
};
struct KeyEqual {
  bool operator()(const nfct_key& a, const nfct_key& b) const noexcept {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
using CounterTotals = std::unordered_map<nfct_key, nfct_value, KeyHash, KeyEqual>;

void add_to(nfct_value& total, const nfct_value& v);

// Every slot of every CPU, as the kernel returns them: slot i of CPU c at i * ncpus + c.
// One batched lookup per 4096 slots.
Expected<std::vector<nfct_slot>> read_slots(int slots_fd, uint32_t nslots, int ncpus);

// Adds the slots whose claim is complete (NFCT_SLOT_READY set) to their key's total.
// A slot that is free or being claimed holds no packet (the claimant writes its first
// packet before it sets READY), so skipping it loses nothing.
void add_slots(CounterTotals& totals, const std::vector<nfct_slot>& slots);

}  // namespace nfct
