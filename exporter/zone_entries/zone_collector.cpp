#include "zone_collector.h"

#include <chrono>

#include "collector_guard.h"
#include "zone_families.h"

namespace nfct {

std::vector<prometheus::MetricFamily> ZoneCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("zone entries", nullptr, nullptr, [&] {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    out = zone_families(dumper_.status(), now);
    return true;
  });
  return out;
}

}  // namespace nfct
