// The prometheus-cpp Collectable for the conntrack table statistics: reads every
// covered namespace's table size, limit and kernel counters over ctnetlink on each
// scrape. Its cost depends on the number of namespaces and CPUs, not on the table size.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <chrono>
#include <functional>

#include "netns_scan.h"
#include "netns_sockets.h"

namespace nfct {

class TableCollector : public prometheus::Collectable {
 public:
  struct Options {
    bool per_cpu = false;
    std::chrono::milliseconds timeout{2000};  // per namespace and scrape
  };
  // `covered` names the namespaces to read (ProbeManager::selected_netns).
  TableCollector(std::function<NetnsMap()> covered, NetnsSockets& sockets, Options opts);

  // Never throws: a namespace that cannot be read is logged, counted in
  // nfct_table_read_errors_total and shown as nfct_table_read_success 0.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<NetnsMap()> covered_;
  NetnsSockets& sockets_;
  Options opts_;
  mutable std::atomic<uint64_t> errors_{0};
};

}  // namespace nfct
