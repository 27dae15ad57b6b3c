// One namespace's conntrack table as the kernel counts it: entries, limit, per-CPU
// statistics and expectations, read over ctnetlink (four read-only requests).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ct_socket.h"
#include "ctnetlink_msg.h"
#include "expected.h"

namespace nfct {

struct TableStats {
  std::optional<uint32_t> entries;      // the table's entries in this namespace
  std::optional<uint32_t> max_entries;  // nf_conntrack_max (one value for the host)
  std::vector<CpuStatRow> ct_cpu;       // CTA_STATS_* per CPU
  std::vector<CpuStatRow> exp_cpu;      // CTA_STATS_EXP_* per CPU
  uint64_t expectations = 0;            // expectations in this namespace
};

// Reads everything; the first failing request makes it an Error.
Expected<TableStats> read_table_stats(CtSocket& sock, Deadline deadline);

// The per-CPU rows summed (the attributes present in any row are present in the sum).
StatRow sum_rows(const std::vector<CpuStatRow>& rows);

}  // namespace nfct
