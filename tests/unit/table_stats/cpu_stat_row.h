// One CPU's row of conntrack statistics for the table_stats unit tests: the attributes
// given are present with their values, the others absent.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>

#include "table_stats.h"

inline nfct::CpuStatRow row(uint16_t cpu, std::initializer_list<std::pair<uint16_t, uint64_t>> values) {
  nfct::CpuStatRow r;
  r.cpu = cpu;
  for (auto [a, v] : values) {
    r.row.value[a] = v;
    r.row.present.set(a);
  }
  return r;
}
