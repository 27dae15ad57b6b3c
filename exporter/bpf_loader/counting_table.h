// The counting table of a BPF program (count_in_table() in bpf/counting.bpf.h): slot keys
// shared by all CPUs and one row of counts per CPU, two BPF_F_MMAPABLE arrays that the
// exporter maps read-only and reads in place on every scrape: no syscall, no copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "expected.h"
#include "nfct.h"

namespace nfct {

// The table's memory: `keys` holds `nslots` 16-byte slot keys (a 4-byte `ready` word, then
// a 12-byte key), `counts` holds `ncpus` rows of `nslots` values (slot i of CPU c at
// c * nslots + i), as the BPF program writes them.
class SlotTableView {
 public:
  SlotTableView(const void* keys, const nfct_value* counts, uint32_t nslots, int ncpus)
      : keys_(static_cast<const uint64_t*>(keys)), counts_(counts), nslots_(nslots), ncpus_(ncpus) {}

  // Appends {key, value summed over CPUs} for every slot whose key is published
  // (NFCT_SLOT_READY), in slot order; a key claimed twice appears twice (callers merge
  // equal keys). Returns how many were appended. Entry is an aggregate {Key key; nfct_value
  // value;} and Key is 12 bytes.
  //
  // Safe while BPF programs count: the first word is loaded with acquire ordering, which
  // pairs with the program's fully ordered publishing exchange, so a READY key's second word
  // is the final one; counts are aligned 64-bit words read whole, and only grow. A slot
  // that is free or being claimed holds no packet (a packet is counted only after its
  // slot's key is published), so skipping it loses nothing.
  template <class Entry, class Key>
  size_t append_to(std::vector<Entry>& out) const {
    static_assert(sizeof(Key) == 12, "a slot holds a 4-byte ready word and a 12-byte key");
    size_t n = 0;
    for (uint32_t i = 0; i < nslots_; i++) {
      uint64_t w[2];
      w[0] = __atomic_load_n(&keys_[2 * i], __ATOMIC_ACQUIRE);
      if (!(static_cast<uint32_t>(ready_word(w[0])) & NFCT_SLOT_READY)) continue;
      w[1] = __atomic_load_n(&keys_[2 * i + 1], __ATOMIC_RELAXED);
      Entry e{};
      std::memcpy(&e.key, reinterpret_cast<const char*>(w) + 4, sizeof(Key));
      e.value = sum(i);
      out.push_back(e);
      n++;
    }
    return n;
  }

  uint32_t slots() const { return nslots_; }

  // The published slots of one namespace (the first key word, in both the counter and
  // the drop key) and their packets summed over CPUs.
  struct NetnsSlots {
    uint32_t slots = 0;
    uint64_t packets = 0;
  };
  NetnsSlots netns_slots(uint32_t netns) const;

 private:
  // The `ready` word of a slot's first 64 bits as they lie in memory.
  static uint32_t ready_word(uint64_t w0) {
    uint32_t r;
    std::memcpy(&r, &w0, sizeof r);
    return r;
  }
  nfct_value sum(uint32_t slot) const;

  const uint64_t* keys_;
  const nfct_value* counts_;
  uint32_t nslots_;
  int ncpus_;
};

// Maps a loaded program's table read-only for the life of this object. `nslots` slots and
// `ncpus` rows (libbpf_num_possible_cpus(), as the maps were sized). Throws FatalError when
// a map cannot be mapped (a kernel without BPF_F_MMAPABLE arrays is refused at load).
class CountingTable {
 public:
  CountingTable(int keys_fd, int counts_fd, uint32_t nslots, int ncpus);
  ~CountingTable();
  CountingTable(const CountingTable&) = delete;
  CountingTable& operator=(const CountingTable&) = delete;

  const SlotTableView& view() const { return view_; }
  // Bytes of both maps (the kernel rounds each to pages).
  size_t bytes() const { return keys_len_ + counts_len_; }

 private:
  void* keys_ = nullptr;
  void* counts_ = nullptr;
  size_t keys_len_ = 0;
  size_t counts_len_ = 0;
  SlotTableView view_;
};

// How a program's table is sized before load, from `slots` as configured (`what`: its
// config key, for the error) and `ncpus` possible CPUs: the maps' entries (one each when
// the table is off, slots = 0) and the program's read-only constants.
struct TableSize {
  bool on;               // slots_on
  uint32_t nslots;       // nslots, and the entries of the keys map
  uint32_t shift;        // slot_shift: 64 - log2(nslots), so the first slot is the hash's top bits
  uint32_t count_cells;  // entries of the counts map: nslots per possible CPU
};
Expected<TableSize> table_size(uint32_t slots, int ncpus, const char* what);

// The memory a table of `nslots` takes with `ncpus` possible CPUs, in bytes, before page
// rounding: 16 bytes of key per slot and 16 bytes of counts per slot and CPU.
uint64_t table_bytes(uint64_t nslots, uint64_t ncpus);

}  // namespace nfct
