// The collector of the conntrack table statistics: reads every covered namespace's table
// size, limit and kernel counters over ctnetlink on each scrape. Its cost depends on the
// number of namespaces and CPUs, not on the table size. The /metrics page uses
// CollectText (the families written directly, table_text.h); Collect() is the
// prometheus-cpp path for the same data.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <chrono>
#include <functional>

#include "netns_scan.h"
#include "netns_sockets.h"
#include "table_families.h"
#include "text_collectable.h"

namespace nfct {

class TableCollector : public prometheus::Collectable, public TextCollectable {
 public:
  struct Options {
    bool per_cpu = false;
    std::chrono::milliseconds timeout{2000};  // per namespace and scrape
  };
  // `covered` names the namespaces to read (ProbeManager::selected_netns).
  TableCollector(std::function<NetnsMap()> covered, NetnsSockets& sockets, Options opts);

  // Never throw: a namespace that cannot be read is logged, counted in
  // nfct_table_read_errors_total and shown as nfct_table_read_success 0.
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::vector<prometheus::MetricFamily> CollectText(std::string& text) const override;

 private:
  // Reads every covered namespace; the time it took in *seconds.
  std::vector<NetnsTable> read_tables(double* seconds) const;

  std::function<NetnsMap()> covered_;
  NetnsSockets& sockets_;
  Options opts_;
  mutable std::atomic<uint64_t> errors_{0};
};

}  // namespace nfct
