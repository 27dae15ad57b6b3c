#include "counting_table.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "error.h"

namespace nfct {

SlotTableView::NetnsSlots SlotTableView::netns_slots(uint32_t netns) const {
  NetnsSlots n;
  for (uint32_t i = 0; i < nslots_; i++) {
    const uint64_t w0 = __atomic_load_n(&keys_[2 * i], __ATOMIC_ACQUIRE);
    uint32_t key_netns;
    std::memcpy(&key_netns, reinterpret_cast<const char*>(&w0) + 4, sizeof key_netns);
    if (!(ready_word(w0) & NFCT_SLOT_READY) || key_netns != netns) continue;
    n.slots++;
    n.packets += sum(i).packets;
  }
  return n;
}

nfct_value SlotTableView::sum(uint32_t slot) const {
  nfct_value s{};
  for (int c = 0; c < ncpus_; c++) {
    const nfct_value& v = counts_[static_cast<size_t>(c) * nslots_ + slot];
    s.packets += __atomic_load_n(&v.packets, __ATOMIC_RELAXED);
    s.bytes += __atomic_load_n(&v.bytes, __ATOMIC_RELAXED);
  }
  return s;
}

Expected<TableSize> table_size(uint32_t slots, int ncpus, const char* what) {
  if (ncpus <= 0) return Error{"cannot count possible CPUs"};
  const uint32_t nslots = slots ? slots : 1;
  // 2^28 cells of 16 bytes: 4 GiB of counts, beyond any sensible table and below the
  // kernel's 32-bit entry count and index arithmetic.
  if (slots & (slots - 1) || static_cast<uint64_t>(nslots) * static_cast<uint64_t>(ncpus) > (uint64_t{1} << 28))
    return Error{std::string(what) + ": " + std::to_string(slots) + " slots for each of " + std::to_string(ncpus) +
                 " possible CPUs is too large a counting table (or not a power of two); use fewer"};
  // One slot: a 64-bit shift by 64 is undefined; 63 leaves 0 or 1, and the mask 0.
  const uint32_t shift = nslots > 1 ? 64 - static_cast<uint32_t>(__builtin_ctz(nslots)) : 63;
  return TableSize{slots != 0, nslots, shift, nslots * static_cast<uint32_t>(ncpus)};
}

uint64_t table_bytes(uint64_t nslots, uint64_t ncpus) {
  return nslots * sizeof(nfct_slot_key) + nslots * ncpus * sizeof(nfct_value);
}

namespace {

size_t page_round(size_t n) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

void* map_readonly(int fd, size_t len, const char* what) {
  void* p = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    throw FatalError(std::string("cannot map the counting table's ") + what + ": " + std::strerror(errno));
  return p;
}

}  // namespace

CountingTable::CountingTable(int keys_fd, int counts_fd, uint32_t nslots, int ncpus)
    : keys_len_(page_round(static_cast<size_t>(nslots) * sizeof(nfct_slot_key))),
      counts_len_(page_round(static_cast<size_t>(nslots) * ncpus * sizeof(nfct_value))),
      view_(nullptr, nullptr, 0, 0) {
  static_assert(sizeof(nfct_slot_key) == 16, "two 64-bit words per slot key");
  keys_ = map_readonly(keys_fd, keys_len_, "keys");
  try {
    counts_ = map_readonly(counts_fd, counts_len_, "counts");
  } catch (...) {
    munmap(keys_, keys_len_);
    throw;
  }
  view_ = SlotTableView(keys_, static_cast<const nfct_value*>(counts_), nslots, ncpus);
}

CountingTable::~CountingTable() {
  munmap(counts_, counts_len_);
  munmap(keys_, keys_len_);
}

}  // namespace nfct
