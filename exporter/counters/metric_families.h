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
#include "prom_family.h"

namespace nfct {

using ProbeNames = std::map<uint8_t, std::string>;
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
