#include "drop_collector.h"

#include "log.h"

namespace nfct {

DropCollector::DropCollector(const DropReader& reader, DropReasons reasons, uint32_t max_entries)
    : reader_(reader), reasons_(std::move(reasons)), max_entries_(max_entries) {}

bool DropCollector::collect(SelfStats& self, std::vector<prometheus::MetricFamily>& out) const {
  try {
    auto entries = reader_.read();
    if (!entries) {
      spdlog::warn("scrape: {}", entries.error());
      return false;
    }
    self.more_maps.push_back({"drops", entries->size(), max_entries_});
    for (auto& f : drop_families(*entries, reasons_)) out.push_back(std::move(f));
    return true;
  } catch (const std::exception& e) {  // allocation failures: Collect() never throws
    spdlog::warn("scrape: drop counters: {}", e.what());
    return false;
  }
}

}  // namespace nfct
