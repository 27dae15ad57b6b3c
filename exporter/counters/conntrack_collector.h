// The prometheus-cpp Collectable: reads the BPF maps on every scrape.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <memory>

#include "counter_reader.h"
#include "probe_manager.h"

namespace nfct {

class ConntrackCollector : public prometheus::Collectable {
 public:
  ConntrackCollector(const CounterReader& reader, const ProbeManager& manager, uint32_t max_entries);

  // Never throws: a map that cannot be read is logged and counted in
  // nfct_exporter_scrape_errors_total, and the rest is still served.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const CounterReader& reader_;
  const ProbeManager& manager_;
  uint32_t max_entries_;
  mutable std::atomic<uint64_t> scrape_errors_{0};
};

}  // namespace nfct
