#include "counting_table.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "error.h"

namespace nfct {

nfct_value SlotTableView::sum(uint32_t slot) const {
  nfct_value s{};
  for (int c = 0; c < ncpus_; c++) {
    const nfct_value& v = counts_[static_cast<size_t>(c) * nslots_ + slot];
    s.packets += __atomic_load_n(&v.packets, __ATOMIC_RELAXED);
    s.bytes += __atomic_load_n(&v.bytes, __ATOMIC_RELAXED);
  }
  return s;
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
