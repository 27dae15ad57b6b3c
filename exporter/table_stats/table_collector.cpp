#include "table_collector.h"

#include "collector_guard.h"
#include "log.h"
#include "table_families.h"

namespace nfct {

TableCollector::TableCollector(std::function<NetnsMap()> covered, NetnsSockets& sockets, Options opts)
    : covered_(std::move(covered)), sockets_(sockets), opts_(opts) {}

std::vector<prometheus::MetricFamily> TableCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("conntrack statistics", &errors_, nullptr, [&] {
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
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out = table_families(tables, opts_.per_cpu, errors_.load(), seconds);
    return true;
  });
  return out;
}

}  // namespace nfct
