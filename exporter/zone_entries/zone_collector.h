// The prometheus-cpp Collectable for the per-zone entry counts: serves what the
// background dumper (zone_dumper.h) found last; a scrape never dumps the table itself.
#pragma once

#include <prometheus/collectable.h>

#include "zone_dumper.h"

namespace nfct {

class ZoneCollector : public prometheus::Collectable {
 public:
  explicit ZoneCollector(const ZoneDumper& dumper) : dumper_(dumper) {}
  std::vector<prometheus::MetricFamily> Collect() const override;  // never throws

 private:
  const ZoneDumper& dumper_;
};

}  // namespace nfct
