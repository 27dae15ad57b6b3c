#include "table_stats.h"

namespace nfct {
namespace {

Expected<bool> read_cpu_rows(CtSocket& sock, CtRequest req, bool expect, Deadline deadline,
                             std::vector<CpuStatRow>& out) {
  return sock.transact(req, deadline, [&](const nlmsghdr* nlh) -> std::optional<std::string> {
    auto row = parse_stat_cpu(nlh, expect);
    if (!row) return row.error();
    out.push_back(*row);
    return std::nullopt;
  });
}

}  // namespace

Expected<TableStats> read_table_stats(CtSocket& sock, Deadline deadline) {
  std::lock_guard lk(sock.mutex());
  TableStats s;
  auto global = sock.transact(CtRequest::Stats, deadline, [&](const nlmsghdr* nlh) -> std::optional<std::string> {
    auto g = parse_global_stats(nlh);
    if (!g) return g.error();
    s.entries = g->entries;
    s.max_entries = g->max_entries;
    return std::nullopt;
  });
  if (!global) return Error{"table size: " + global.error()};
  if (auto r = read_cpu_rows(sock, CtRequest::StatsCpu, false, deadline, s.ct_cpu); !r)
    return Error{"per-CPU statistics: " + r.error()};
  if (auto r = read_cpu_rows(sock, CtRequest::ExpStatsCpu, true, deadline, s.exp_cpu); !r)
    return Error{"expectation statistics: " + r.error()};
  auto exp = sock.transact(CtRequest::ExpDump, deadline, [&](const nlmsghdr*) -> std::optional<std::string> {
    s.expectations++;
    return std::nullopt;
  });
  if (!exp) return Error{"expectations: " + exp.error()};
  return s;
}

StatRow sum_rows(const std::vector<CpuStatRow>& rows) {
  StatRow sum;
  for (const auto& r : rows) sum += r.row;
  return sum;
}

}  // namespace nfct
