// Serves the drop probe's counters in the exporter's scrape (a ScrapeExtension of the
// ConntrackCollector, so that nfct_map_entries{map="drops"} joins the one family).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "conntrack_collector.h"
#include "drop_counters.h"
#include "drop_reasons.h"
#include "kept_labels.h"

namespace nfct {

// What render_drop_families() keeps from one scrape for the next: the label sets it wrote
// (`{netns="..",reason="..",state="..",zone=".."} ` each), by packed (netns, reason,
// state, zone).
using DropText = KeptLabels<unsigned __int128>;

// nfct_drop_packets_total and nfct_drop_bytes_total written straight into `out`: the same
// text as drop_families() serialized by prometheus-cpp (the unit tests compare them).
// `kept` carries the label text from one call to the next (a fresh one each call works
// too, and writes every label set).
void render_drop_families(const std::vector<DropEntry>& entries, const DropReasons& reasons, std::string& out,
                          DropText& kept);
void render_drop_families(const std::vector<DropEntry>& entries, const DropReasons& reasons, std::string& out);

class DropCollector : public ScrapeExtension {
 public:
  DropCollector(const DropReader& reader, DropReasons reasons, uint32_t max_entries);
  // nfct_drop_packets_total, nfct_drop_bytes_total and the drop map's usage. A map that
  // cannot be read is logged, returns false, and leaves the rest of the scrape alone.
  bool collect(SelfStats& self, std::string* text, std::vector<prometheus::MetricFamily>& out) const override;

 private:
  const DropReader& reader_;
  const DropReasons reasons_;
  uint32_t max_entries_;
  mutable std::mutex text_mu_;  // concurrent scrapes take turns with the kept text
  mutable DropText text_;
};

}  // namespace nfct
