#include "conntrack_collector.h"

#include <chrono>

#include "connections_created.h"
#include "counter_aggregate.h"
#include "log.h"
#include "metric_families.h"

namespace nfct {

ConntrackCollector::ConntrackCollector(const CounterReader& reader, const ProbeManager& manager,
                                       uint32_t max_entries, const ScrapeExtension* extension)
    : reader_(reader), manager_(manager), max_entries_(max_entries), extension_(extension) {}

std::vector<prometheus::MetricFamily> ConntrackCollector::Collect() const { return collect(nullptr); }

std::vector<prometheus::MetricFamily> ConntrackCollector::CollectText(std::string& text) const {
  return collect(&text);
}

std::vector<prometheus::MetricFamily> ConntrackCollector::collect(std::string* text) const {
  std::vector<prometheus::MetricFamily> out;
  try {
    const auto t0 = std::chrono::steady_clock::now();
    SelfStats self;
    self.manager = manager_.status();
    self.names = manager_.probe_names();
    self.map_max_entries = max_entries_;
    bool failed = false;
    size_t hash_entries = 0;
    auto entries = reader_.read_counters(&hash_entries);
    if (entries) {
      self.map_entries = hash_entries;
      if (text) {
        // On an exception below the text may hold part of a family: cut it off again.
        const size_t mark = text->size();
        try {
          renderer_.render(aggregate(*entries), self.names, *text);
        } catch (...) {
          text->resize(mark);
          throw;
        }
      } else {
        out = counter_families(aggregate(*entries), self.names);
      }
      out.push_back(created_connections_family(created_connections(*entries)));
    } else {
      failed = true;
      spdlog::warn("scrape: {}", entries.error());
    }
    auto overflow = reader_.read_overflow();
    if (overflow) {
      self.overflow = std::move(*overflow);
    } else {
      failed = true;
      spdlog::warn("scrape: {}", overflow.error());
    }
    if (extension_ && !extension_->collect(self, out)) failed = true;
    if (failed) scrape_errors_++;
    self.scrape_errors = scrape_errors_.load();
    self.collect_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& f : self_families(self)) out.push_back(std::move(f));
  } catch (const std::exception& e) {
    scrape_errors_++;
    spdlog::warn("scrape failed: {}", e.what());
  }
  return out;
}

}  // namespace nfct
