#include "counter_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "error.h"

namespace nfct {

nfct_value sum_percpu(const nfct_value* values, int ncpus) {
  nfct_value s{};
  for (int c = 0; c < ncpus; c++) {
    s.packets += values[c].packets;
    s.bytes += values[c].bytes;
  }
  return s;
}

CounterReader::CounterReader(int counters_fd, int overflow_fd)
    : counters_fd_(counters_fd), overflow_fd_(overflow_fd), ncpus_(libbpf_num_possible_cpus()) {
  if (ncpus_ <= 0) throw FatalError("cannot count possible CPUs");
}

Expected<std::vector<CounterEntry>> CounterReader::read_counters() const {
  static_assert(sizeof(nfct_value) % 8 == 0, "per-CPU values are 8-byte aligned");
  std::vector<CounterEntry> out;
  uint32_t chunk = 1024;
  std::vector<nfct_key> keys;
  std::vector<nfct_value> values;
  uint64_t token = 0;
  bool first = true;
  for (;;) {
    keys.resize(chunk);
    values.resize(static_cast<size_t>(chunk) * ncpus_);
    uint32_t count = chunk;
    uint64_t next = 0;
    int err = bpf_map_lookup_batch(counters_fd_, first ? nullptr : &token, &next, keys.data(),
                                   values.data(), &count, nullptr);
    int e = err ? errno : 0;
    if (err && e == ENOSPC && count == 0) {  // one bucket holds more than `chunk` keys
      chunk *= 2;
      continue;
    }
    if (err && e != ENOENT) return Error{std::string("reading the counter map: ") + std::strerror(e)};
    for (uint32_t i = 0; i < count; i++)
      out.push_back({keys[i], sum_percpu(&values[static_cast<size_t>(i) * ncpus_], ncpus_)});
    if (err) break;  // ENOENT: that was the last batch
    token = next;
    first = false;
  }
  return out;
}

Expected<std::vector<nfct_overflow>> CounterReader::read_overflow() const {
  std::vector<nfct_overflow> out(NFCT_MAX_PROBES);
  std::vector<nfct_overflow> percpu(ncpus_);
  for (uint32_t i = 0; i < NFCT_MAX_PROBES; i++) {
    if (bpf_map_lookup_elem(overflow_fd_, &i, percpu.data()) != 0)
      return Error{std::string("reading the overflow map: ") + std::strerror(errno)};
    for (const auto& v : percpu) {
      out[i].packets += v.packets;
      out[i].bytes += v.bytes;
    }
  }
  return out;
}

size_t CounterReader::purge_netns(uint32_t netns) const {
  std::vector<nfct_key> doomed;
  nfct_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(counters_fd_, prev, &next) == 0) {
    if (next.netns == netns) doomed.push_back(next);
    key = next;
    prev = &key;
  }
  size_t n = 0;
  for (const auto& k : doomed) n += bpf_map_delete_elem(counters_fd_, &k) == 0;
  return n;
}

}  // namespace nfct
