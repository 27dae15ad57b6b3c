// The collector of the per-zone entry counts: serves what the background dumper
// (zone_dumper.h) found last; a scrape never dumps the table itself. The /metrics page
// uses CollectText (the families written directly, zone_text.h); Collect() is the
// prometheus-cpp path for the same data.
#pragma once

#include <prometheus/collectable.h>

#include "text_collectable.h"
#include "zone_dumper.h"

namespace nfct {

class ZoneCollector : public prometheus::Collectable, public TextCollectable {
 public:
  explicit ZoneCollector(const ZoneDumper& dumper) : dumper_(dumper) {}
  std::vector<prometheus::MetricFamily> Collect() const override;                       // never throws
  std::vector<prometheus::MetricFamily> CollectText(std::string& text) const override;  // never throws

 private:
  const ZoneDumper& dumper_;
};

}  // namespace nfct
