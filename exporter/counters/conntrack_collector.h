// The prometheus-cpp Collectable: reads the BPF maps on every scrape. The /metrics
// handler uses CollectText (the counter families rendered directly, counter_text.h);
// Collect() is the prometheus-cpp path for the same data.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <memory>

#include "counter_reader.h"
#include "metric_families.h"
#include "counter_text.h"
#include "probe_manager.h"
#include "text_collectable.h"

namespace nfct {

// Series from another BPF object served in the same scrape (the drop probe): its own
// families go to `out`, its map's usage into `self` (the exporter's own families are
// built once, from `self`). Returns false when its map could not be read (a scrape
// error); must not throw.
class ScrapeExtension {
 public:
  virtual ~ScrapeExtension() = default;
  virtual bool collect(SelfStats& self, std::vector<prometheus::MetricFamily>& out) const = 0;
};

class ConntrackCollector : public prometheus::Collectable, public TextCollectable {
 public:
  ConntrackCollector(const CounterReader& reader, const ProbeManager& manager, uint32_t max_entries,
                     const ScrapeExtension* extension = nullptr);

  // Never throws: a map that cannot be read is logged and counted in
  // nfct_exporter_scrape_errors_total, and the rest is still served.
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::vector<prometheus::MetricFamily> CollectText(std::string& text) const override;

 private:
  // Counter families as MetricFamily objects (text == nullptr) or rendered into *text.
  std::vector<prometheus::MetricFamily> collect(std::string* text) const;

  const CounterReader& reader_;
  const ProbeManager& manager_;
  uint32_t max_entries_;
  const ScrapeExtension* extension_;
  mutable std::atomic<uint64_t> scrape_errors_{0};
  mutable CounterTextRenderer renderer_;
};

}  // namespace nfct
