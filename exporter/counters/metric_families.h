// Builds Prometheus metric families from aggregated counters and the exporter's own
// state. Pure functions: the collector feeds them, the unit tests check them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "counter_aggregate.h"
#include "probe_manager.h"

namespace nfct {

using ProbeNames = std::map<uint8_t, std::string>;
using Labels = std::vector<prometheus::ClientMetric::Label>;

prometheus::MetricFamily make_family(std::string name, std::string help, prometheus::MetricType type);
// Adds one sample; counter or gauge according to the family's type.
void add_sample(prometheus::MetricFamily& f, Labels labels, double value);

std::vector<prometheus::MetricFamily> counter_families(const Aggregates& a, const ProbeNames& names);

struct SelfStats {
  ManagerStatus manager;
  ProbeNames names;
  size_t map_entries = 0;
  uint32_t map_max_entries = 0;
  std::vector<nfct_overflow> overflow;  // indexed by probe
  // Further maps sized like the counter map (the drop probe's), in nfct_map_*entries.
  struct MapUsage {
    std::string map;
    size_t entries = 0;
    uint32_t max_entries = 0;
  };
  std::vector<MapUsage> more_maps;
  double collect_seconds = 0;
  uint64_t scrape_errors = 0;
};

std::vector<prometheus::MetricFamily> self_families(const SelfStats& s);
std::vector<prometheus::MetricFamily> build_info_family(const std::string& version,
                                                        const std::string& revision,
                                                        const std::string& libbpf_version);

}  // namespace nfct

namespace nfct {

// A Collectable that serves a fixed set of families (build info).
class StaticFamilies : public prometheus::Collectable {
 public:
  explicit StaticFamilies(std::vector<prometheus::MetricFamily> f) : f_(std::move(f)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return f_; }

 private:
  std::vector<prometheus::MetricFamily> f_;
};

}  // namespace nfct
