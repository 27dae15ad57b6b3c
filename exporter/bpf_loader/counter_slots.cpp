#include "counter_slots.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace nfct {

size_t KeyHash::operator()(const nfct_key& k) const noexcept {
  static_assert(sizeof(nfct_key) == 12, "the key is three 32-bit words");
  uint32_t w[3];
  std::memcpy(w, &k, sizeof w);
  uint64_t h = (static_cast<uint64_t>(w[0]) << 32 | w[1]) * 0x9E3779B97F4A7C15ULL;
  return static_cast<size_t>((h ^ w[2]) * 0xC2B2AE3D27D4EB4FULL >> 16);
}

void add_to(nfct_value& total, const nfct_value& v) {
  total.packets += v.packets;
  total.bytes += v.bytes;
}

Expected<std::vector<nfct_slot>> read_slots(int slots_fd, uint32_t nslots, int ncpus) {
  static_assert(sizeof(nfct_slot) % 8 == 0, "per-CPU values are 8-byte aligned");
  std::vector<nfct_slot> out(static_cast<size_t>(nslots) * ncpus);
  std::vector<uint32_t> keys(nslots);
  uint32_t done = 0, token = 0;
  bool first = true;
  while (done < nslots) {
    uint32_t count = std::min<uint32_t>(nslots - done, 4096);
    uint32_t next = 0;
    int err = bpf_map_lookup_batch(slots_fd, first ? nullptr : &token, &next, keys.data() + done,
                                   out.data() + static_cast<size_t>(done) * ncpus, &count, nullptr);
    int e = err ? errno : 0;
    if (err && e != ENOENT) return Error{std::string("reading the slot map: ") + std::strerror(e)};
    done += count;
    if (err) break;
    token = next;
    first = false;
  }
  out.resize(static_cast<size_t>(done) * ncpus);
  return out;
}

void add_slots(CounterTotals& totals, const std::vector<nfct_slot>& slots) {
  for (const auto& s : slots) {
    if (!(s.ready & NFCT_SLOT_READY)) continue;
    add_to(totals[s.key], nfct_value{s.packets, s.bytes});
  }
}

}  // namespace nfct
