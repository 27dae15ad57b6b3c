#include "fault_collector.h"

#include "collector_guard.h"
#include "ct_errors.h"
#include "prom_family.h"
#include "proc_vanished.h"

namespace nfct {

std::vector<prometheus::MetricFamily> fault_families() {
  using prometheus::MetricType;
  auto ct = make_family("nfct_exporter_ctnetlink_errors_total",
                        "ctnetlink exchanges that went wrong, by reason: foreign (a datagram not from the "
                        "kernel, dropped unread), malformed, kernel, interrupted, receive, send, timeout, "
                        "open.",
                        MetricType::Counter);
  const auto ct_counts = ct_error_counts();
  for (size_t i = 0; i < kCtErrorKinds; i++)
    add_sample(ct, {{"reason", std::string(ct_error_name(static_cast<CtError>(i)))}},
               static_cast<double>(ct_counts[i]));
  auto proc = make_family("nfct_exporter_proc_vanished_total",
                          "/proc entries that vanished between listing and reading them (the process "
                          "exited), by file: ns/net, comm, cgroup.",
                          MetricType::Counter);
  const auto proc_counts = proc_vanished_counts();
  for (size_t i = 0; i < kProcFileKinds; i++)
    add_sample(proc, {{"file", std::string(proc_file_name(static_cast<ProcFile>(i)))}},
               static_cast<double>(proc_counts[i]));
  return {ct, proc};
}

std::vector<prometheus::MetricFamily> FaultCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("fault counters", nullptr, nullptr, [&] {
    out = fault_families();
    return true;
  });
  return out;
}

}  // namespace nfct
