// Serves the drop probe's counters in the exporter's scrape (a ScrapeExtension of the
// ConntrackCollector, so that nfct_map_entries{map="drops"} joins the one family).
#pragma once

#include "conntrack_collector.h"
#include "drop_counters.h"
#include "drop_reasons.h"

namespace nfct {

class DropCollector : public ScrapeExtension {
 public:
  DropCollector(const DropReader& reader, DropReasons reasons, uint32_t max_entries);
  // nfct_drop_packets_total, nfct_drop_bytes_total and the drop map's usage. A map that
  // cannot be read is logged, returns false, and leaves the rest of the scrape alone.
  bool collect(SelfStats& self, std::vector<prometheus::MetricFamily>& out) const override;

 private:
  const DropReader& reader_;
  const DropReasons reasons_;
  uint32_t max_entries_;
};

}  // namespace nfct
