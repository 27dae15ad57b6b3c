#include "table_collector.h"

#include "collector_guard.h"
#include "log.h"
#include "table_text.h"

namespace nfct {

TableCollector::TableCollector(std::function<NetnsMap()> covered, NetnsSockets& sockets, Options opts)
    : covered_(std::move(covered)), sockets_(sockets), opts_(opts) {}

std::vector<NetnsTable> TableCollector::read_tables(double* seconds) const {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<NetnsTable> tables;
  for (auto& slot : sockets_.sync(covered_())) {
    NetnsTable t{slot.inode, std::nullopt};
    std::string error = slot.error;
    if (slot.socket) {
      auto s = read_table_stats(*slot.socket, std::chrono::steady_clock::now() + opts_.timeout);
      if (s)
        t.stats = std::move(*s);
      else
        error = s.error();
    }
    if (!t.stats) {
      errors_++;
      spdlog::warn("netns {}: cannot read the conntrack statistics: {}", slot.inode, error);
    }
    tables.push_back(std::move(t));
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return tables;
}

std::vector<prometheus::MetricFamily> TableCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("conntrack statistics", &errors_, nullptr, [&] {
    double seconds = 0;
    auto tables = read_tables(&seconds);
    out = table_families(tables, opts_.per_cpu, errors_.load(), seconds);
    return true;
  });
  return out;
}

std::vector<prometheus::MetricFamily> TableCollector::CollectText(std::string& text) const {
  guard_collector("conntrack statistics", &errors_, &text, [&] {
    double seconds = 0;
    auto tables = read_tables(&seconds);
    render_table_families(tables, opts_.per_cpu, errors_.load(), seconds, text);
    return true;
  });
  return {};
}

}  // namespace nfct
