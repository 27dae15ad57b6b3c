#include "zone_collector.h"

#include <chrono>

#include "collector_guard.h"
#include "zone_families.h"
#include "zone_text.h"

namespace nfct {
namespace {

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace

std::vector<prometheus::MetricFamily> ZoneCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("zone entries", nullptr, nullptr, [&] {
    out = zone_families(dumper_.status(), unix_now());
    return true;
  });
  return out;
}

std::vector<prometheus::MetricFamily> ZoneCollector::CollectText(std::string& text) const {
  guard_collector("zone entries", nullptr, &text, [&] {
    const double now = unix_now();
    dumper_.with_status([&](const ZoneStatus& s) { render_zone_families(s, now, text); });
    return true;
  });
  return {};
}

}  // namespace nfct
