#include "netns_info_collector.h"

#include "collector_guard.h"
#include "label_value.h"
#include "metric_families.h"

namespace nfct {

prometheus::MetricFamily netns_info_family(const NetnsIdentities& ids) {
  auto f = make_family("nfct_netns_info",
                       "1 for each covered network namespace, labeled with its name, its lowest PID, "
                       "that process's command, and the pod UID and container ID of its cgroup.",
                       prometheus::MetricType::Gauge);
  for (const auto& [ino, id] : ids)
    add_sample(f,
               {{"netns", std::to_string(ino)},
                {"name", utf8_label_value(id.name)},
                {"pid", id.pid ? std::to_string(id.pid) : std::string()},
                {"comm", utf8_label_value(id.comm)},
                {"pod_uid", id.pod_uid},
                {"container_id", id.container_id}},
               1);
  return f;
}

NetnsInfoCollector::NetnsInfoCollector(std::function<NetnsIdentities()> identities)
    : identities_(std::move(identities)) {}

std::vector<prometheus::MetricFamily> NetnsInfoCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("nfct_netns_info", nullptr, nullptr, [&] {
    out.push_back(netns_info_family(identities_()));
    return true;
  });
  return out;
}

}  // namespace nfct
