// Self metrics of the faults the exporter works around rather than stops on:
// nfct_exporter_ctnetlink_errors_total{reason} (ct_errors.h) and
// nfct_exporter_proc_vanished_total{file} (proc_vanished.h). Every reason and file is
// always present, 0 until it first happens, so that rate() and alerts see the series.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace nfct {

std::vector<prometheus::MetricFamily> fault_families();

class FaultCollector : public prometheus::Collectable {
 public:
  // Never throws (an allocation failure gives no families).
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace nfct
