// The counting table as the exporter reads it (exporter/bpf_loader/counting_table.h): the
// slot layout shared with bpf/counting.bpf.h and which slots a scrape takes.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "counter_reader.h"
#include "counting_table.h"
#include "hidden_netns.h"
#include "drop.h"
#include "nfct.h"

namespace {

nfct_key make_key(uint32_t netns, uint16_t zone, uint8_t probe, uint8_t state, uint16_t status) {
  nfct_key k{};
  k.netns = netns;
  k.zone = zone;
  k.probe = probe;
  k.state = state;
  k.pad = NFCT_KEY_TAG;
  k.status = status;
  return k;
}

// A table in ordinary memory, laid out as the two BPF arrays are.
struct FakeTable {
  FakeTable(uint32_t n, int cpus) : nslots(n), ncpus(cpus), keys(n), counts(static_cast<size_t>(n) * cpus) {}
  void put(uint32_t slot, uint32_t ready, const nfct_key& k) {
    keys[slot].ready = ready;
    keys[slot].key = k;
  }
  void add(uint32_t slot, int cpu, uint64_t packets, uint64_t bytes) {
    counts[static_cast<size_t>(cpu) * nslots + slot].packets += packets;
    counts[static_cast<size_t>(cpu) * nslots + slot].bytes += bytes;
  }
  nfct::SlotTableView view() const { return {keys.data(), counts.data(), nslots, ncpus}; }
  uint32_t nslots;
  int ncpus;
  std::vector<nfct_slot_key> keys;
  std::vector<nfct_value> counts;
};

}  // namespace

TEST_CASE("a slot key is the two 64-bit words count_in_table() builds and compares") {
  // bpf/nfct.bpf.c builds w0 = READY | netns << 32 and w1 = zone | zone_dir << 16 |
  // probe << 24 | state << 32 | pad << 40 | status << 48; the slot's bytes must be those
  // words on this (little-endian) ABI, and drop.bpf.c's key must fit the same 12 bytes.
  static_assert(sizeof(nfct_slot_key) == 16);
  static_assert(offsetof(nfct_slot_key, key) == 4);
  static_assert(sizeof(nfct_drop_key) == 12);
  nfct_slot_key s{NFCT_SLOT_READY, make_key(0xAABBCCDD, 0x1234, 7, 3, 0xBEEF)};
  s.key.zone_dir = 2;
  uint64_t w[2];
  std::memcpy(w, &s, sizeof w);
  CHECK(w[0] == (NFCT_SLOT_READY | uint64_t{0xAABBCCDD} << 32));
  CHECK(w[1] == (0x1234 | uint64_t{2} << 16 | uint64_t{7} << 24 | uint64_t{3} << 32 |
                 uint64_t{NFCT_KEY_TAG} << 40 | uint64_t{0xBEEF} << 48));
}

TEST_CASE("a scrape takes every published slot, summed over CPUs, and nothing else") {
  FakeTable t(8, 3);
  const nfct_key a = make_key(100, 0, 1, 0, 0x8), b = make_key(200, 5, 2, 1, 0x18);
  t.put(1, NFCT_SLOT_READY, a);
  t.add(1, 0, 5, 500);
  t.add(1, 2, 1, 60);  // the last CPU's row is read too
  t.put(4, NFCT_SLOT_READY, b);
  t.add(4, 1, 2, 20);
  t.put(6, NFCT_SLOT_CLAIMED, b);  // a claim under way: its key is not final yet
  t.add(6, 0, 99, 99);             // (cannot happen: nothing counts there before READY)
  t.add(3, 0, 7, 7);               // a free slot is skipped whatever its counts say
  std::vector<nfct::CounterEntry> out;
  CHECK(t.view().append_to<nfct::CounterEntry, nfct_key>(out) == 2);
  REQUIRE(out.size() == 2);
  CHECK(nfct::key_equal(out[0].key, a));
  CHECK(out[0].value.packets == 6);
  CHECK(out[0].value.bytes == 560);
  CHECK(nfct::key_equal(out[1].key, b));
  CHECK(out[1].value.packets == 2);
  CHECK(out[1].value.bytes == 20);
}

TEST_CASE("a key claimed in two slots and also in the hash is one series with the sum of all three") {
  // Two CPUs may claim two slots for one key at the same moment, and a key whose slots
  // are all taken counts in the hash: the reader adds every place a key's packets are in.
  FakeTable t(4, 2);
  const nfct_key k = make_key(7, 1, 0, 2, 0x0E);
  t.put(0, NFCT_SLOT_READY, k);
  t.add(0, 0, 3, 30);
  t.put(1, NFCT_SLOT_READY, k);
  t.add(1, 1, 4, 40);
  std::vector<nfct::CounterEntry> entries{{k, {10, 100}}};  // from the hash
  t.view().append_to<nfct::CounterEntry, nfct_key>(entries);
  nfct::sort_and_merge(entries);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].value.packets == 17);
  CHECK(entries[0].value.bytes == 170);
}

TEST_CASE("the drop key reads back from a slot byte for byte") {
  nfct_drop_key d{};
  d.netns = 0x01020304;
  d.reason = 0x00050006;
  d.zone = 9;
  d.state = NFCT_STATE_NO_CT;
  d.pad = NFCT_KEY_TAG;
  struct {
    uint32_t ready;
    nfct_drop_key key;
  } slot{NFCT_SLOT_READY, d};
  static_assert(sizeof slot == 16);
  std::vector<nfct_value> counts{{1, 2}};
  struct Entry {
    nfct_drop_key key;
    nfct_value value;
  };
  std::vector<Entry> out;
  nfct::SlotTableView(&slot, counts.data(), 1, 1).append_to<Entry, nfct_drop_key>(out);
  REQUIRE(out.size() == 1);
  CHECK(std::memcmp(&out[0].key, &d, sizeof d) == 0);
  CHECK(out[0].value.packets == 1);
}

TEST_CASE("the table's memory is 16 bytes per slot plus 16 per slot and CPU") {
  CHECK(nfct::table_bytes(16384, 2) == 16384u * 16 * 3);
  CHECK(nfct::table_bytes(1, 64) == 16u + 64 * 16);
}

TEST_CASE("table_size: map entries and the program's constants, and a table too large refused") {
  auto t = nfct::table_size(16384, 4, "maps.slots");
  REQUIRE(t);
  CHECK(t->on);
  CHECK(t->nslots == 16384u);
  CHECK(t->shift == 64u - 14);  // the hash's top 14 bits pick one of 2^14 slots
  CHECK(t->count_cells == 16384u * 4);
  auto off = nfct::table_size(0, 4, "maps.slots");  // off: one unused entry per map
  REQUIRE(off);
  CHECK_FALSE(off->on);
  CHECK(off->nslots == 1u);
  CHECK(off->count_cells == 4u);
  auto one = nfct::table_size(1, 2, "maps.slots");
  REQUIRE(one);
  CHECK(one->shift == 63u);  // not 64: shifting a 64-bit value by 64 is undefined
  auto big = nfct::table_size(1u << 20, 512, "drops.slots");
  REQUIRE_FALSE(big);
  CHECK(big.error().rfind("drops.slots: 1048576 slots for each of 512 possible CPUs", 0) == 0);
  CHECK_FALSE(nfct::table_size(3, 2, "maps.slots"));
  CHECK_FALSE(nfct::table_size(16, 0, "maps.slots"));
}

TEST_CASE("netns_slots: the published slots of one namespace and their packets over CPUs") {
  FakeTable t(8, 2);
  t.put(0, NFCT_SLOT_READY, make_key(100, 0, 1, 0, 0));
  t.add(0, 0, 2, 20);
  t.add(0, 1, 3, 30);
  t.put(5, NFCT_SLOT_READY, make_key(100, 7, 2, 1, 0));
  t.add(5, 1, 4, 40);
  t.put(2, NFCT_SLOT_READY, make_key(200, 0, 1, 0, 0));  // another namespace
  t.add(2, 0, 50, 500);
  t.put(6, NFCT_SLOT_CLAIMED, make_key(100, 0, 3, 0, 0));  // not published yet
  const auto n = t.view().netns_slots(100);
  CHECK(n.slots == 2);
  CHECK(n.packets == 9);
  CHECK(t.view().netns_slots(300).slots == 0);
}

TEST_CASE("HiddenNetns: hidden until its number counts more than when it vanished") {
  nfct::HiddenNetns h;
  h.hide(7, 10);
  std::vector<nfct::CounterEntry> e{{make_key(7, 0, 1, 0, 0), {6, 0}}, {make_key(7, 1, 1, 0, 0), {4, 0}},
                                    {make_key(8, 0, 1, 0, 0), {99, 0}}};
  h.reveal_reused(e.begin(), e.end());
  CHECK(h.hidden(7));  // still 10 packets
  CHECK_FALSE(h.hidden(8));
  e[0].value.packets++;
  h.reveal_reused(e.begin(), e.end());
  CHECK_FALSE(h.hidden(7));  // 11: a new namespace with its number counted
  h.hide(9, 5);
  h.forget_packets(9, 3);  // 2 packets of it left where they cannot be deleted
  std::vector<nfct::CounterEntry> f{{make_key(9, 0, 1, 0, 0), {2, 0}}};
  h.reveal_reused(f.begin(), f.end());
  CHECK(h.hidden(9));
  f[0].value.packets = 3;
  h.reveal_reused(f.begin(), f.end());
  CHECK(h.empty());
}
