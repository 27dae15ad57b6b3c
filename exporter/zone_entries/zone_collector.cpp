#include "zone_collector.h"

#include <chrono>

#include "log.h"
#include "zone_families.h"

namespace nfct {

std::vector<prometheus::MetricFamily> ZoneCollector::Collect() const {
  try {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return zone_families(dumper_.status(), now);
  } catch (const std::exception& e) {
    spdlog::warn("zone entries scrape failed: {}", e.what());
    return {};
  }
}

}  // namespace nfct
