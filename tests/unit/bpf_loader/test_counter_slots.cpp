// Counting slots: layout shared with bpf/nfct.bpf.c and the merge by key
// (exporter/counter_slots.h).
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "counter_slots.h"
#include "nfct.h"

namespace {

nfct_key make_key(uint32_t netns, uint16_t zone, uint8_t probe, uint8_t state, uint16_t status) {
  nfct_key k{};
  k.netns = netns;
  k.zone = zone;
  k.probe = probe;
  k.state = state;
  k.status = status;
  return k;
}

nfct_slot make_slot(uint32_t ready, const nfct_key& k, uint64_t packets, uint64_t bytes) {
  nfct_slot s{};
  s.ready = ready;
  s.key = k;
  s.packets = packets;
  s.bytes = bytes;
  return s;
}

}  // namespace

TEST_CASE("the slot layout is the one count_slot() compares as two 64-bit words") {
  // bpf/nfct.bpf.c builds w0 = READY | netns << 32 and w1 = zone | zone_dir << 16 |
  // probe << 24 | state << 32 | status << 48 and compares them with the slot's first 16
  // bytes: the layout must match on this (little-endian) ABI.
  static_assert(sizeof(nfct_slot) == 32);
  static_assert(offsetof(nfct_slot, key) == 4);
  static_assert(offsetof(nfct_slot, packets) == 16);
  nfct_key k = make_key(4026532999u, 0x1234, 13, 3, 0x018a);
  k.zone_dir = 2;
  nfct_slot s = make_slot(NFCT_SLOT_READY, k, 0, 0);
  uint64_t w[2];
  std::memcpy(w, &s, sizeof w);
  CHECK(w[0] == (NFCT_SLOT_READY | (uint64_t{4026532999u} << 32)));
  CHECK(w[1] == (0x1234 | (uint64_t{2} << 16) | (uint64_t{13} << 24) | (uint64_t{3} << 32) |
                 (uint64_t{0x018a} << 48)));
}

TEST_CASE("add_slots adds every claimed slot of every CPU to its key, and nothing else") {
  const nfct_key a = make_key(1, 0, 0, 2, 0), b = make_key(1, 7, 0, 0, 0x8), c = make_key(2, 0, 4, 3, 0x8);
  nfct::CounterTotals totals;
  totals[b] = {5, 500};  // from the hash
  std::vector<nfct_slot> slots = {
      make_slot(NFCT_SLOT_READY, a, 3, 300),      // slot 0, CPU 0
      make_slot(NFCT_SLOT_READY, b, 2, 200),      // slot 0, CPU 1: another key on another CPU
      make_slot(0, nfct_key{}, 0, 0),             // free
      make_slot(1, c, 0, 0),                      // a claim under way: no packet yet
      make_slot(NFCT_SLOT_READY + 1, c, 1, 100),  // claimed by a nested run, lost the race after
      make_slot(NFCT_SLOT_READY, a, 4, 400),      // the same key on another CPU
  };
  nfct::add_slots(totals, slots);
  CHECK(totals.size() == 3);
  CHECK(totals[a].packets == 7);
  CHECK(totals[a].bytes == 700);
  CHECK(totals[b].packets == 7);
  CHECK(totals[b].bytes == 700);
  CHECK(totals[c].packets == 1);
  CHECK(totals[c].bytes == 100);
}

TEST_CASE("keys that differ in any byte are different totals") {
  nfct::CounterTotals totals;
  nfct_key base = make_key(1, 2, 3, 4, 5);
  totals[base].packets = 1;
  for (size_t i = 0; i < sizeof(nfct_key); i++) {
    nfct_key k = base;
    reinterpret_cast<unsigned char*>(&k)[i] ^= 1;
    totals[k].packets = 1;
  }
  CHECK(totals.size() == 1 + sizeof(nfct_key));
}
