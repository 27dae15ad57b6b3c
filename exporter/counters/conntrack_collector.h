// The collector of the BPF counter maps, read on every scrape. The /metrics handler uses
// CollectText (the counter families rendered directly, counter_text.h); Collect() is the
// prometheus-cpp path for the same data (the reference the direct text is checked against).
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "connections_created.h"
#include "counter_aggregate.h"
#include "counter_reader.h"
#include "counter_text.h"
#include "metric_families.h"
#include "probe_manager.h"
#include "text_collectable.h"

namespace nfct {

// Series from another BPF object served in the same scrape (the drop probe): its own
// families are rendered into `text` (or, when text is null, added to `out` as
// prometheus-cpp families), its map's usage goes into `self` (the exporter's own families
// are built once, from `self`). Returns false when its map could not be read (a scrape
// error); may throw (the caller guards it).
class ScrapeExtension {
 public:
  virtual ~ScrapeExtension() = default;
  virtual bool collect(SelfStats& self, std::string* text, std::vector<prometheus::MetricFamily>& out) const = 0;
};

class ConntrackCollector : public prometheus::Collectable, public TextCollectable {
 public:
  ConntrackCollector(const CounterReader& reader, const ProbeManager& manager, uint32_t max_entries,
                     const ScrapeExtension* extension = nullptr);

  // Never throw: a map that cannot be read is logged and counted in
  // nfct_exporter_scrape_errors_total, and the rest is still served.
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::vector<prometheus::MetricFamily> CollectText(std::string& text) const override;

 private:
  // Counter families as MetricFamily objects (text == nullptr) or rendered into *text.
  std::vector<prometheus::MetricFamily> collect(std::string* text) const;
  bool collect_counters(SelfStats& self, std::string* text, std::vector<prometheus::MetricFamily>& out) const;

  const CounterReader& reader_;
  const ProbeManager& manager_;
  uint32_t max_entries_;
  const ScrapeExtension* extension_;
  mutable std::atomic<uint64_t> scrape_errors_{0};
  // Reused from scrape to scrape (concurrent scrapes take turns; the map read under the
  // reader's own lock serialises them anyway).
  mutable std::mutex scratch_mu_;
  mutable Aggregates aggregates_;
  mutable CreatedConnections created_;
  mutable CounterText counter_text_;             // label text kept between scrapes
  mutable KeptLabels<CreatedKey> created_text_;
};

}  // namespace nfct
