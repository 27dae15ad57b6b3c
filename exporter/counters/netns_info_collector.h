// nfct_netns_info: one series per covered network namespace naming what it is, so that
// dashboards can show names and pods instead of inode numbers and queries can join on
// `netns` (or on `pod_uid` with kube-state-metrics' kube_pod_info{uid}).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>

#include "netns_identity.h"

namespace nfct {

// Label values are made valid UTF-8; the text serializer escapes quotes, backslashes and
// newlines. An unknown field is an empty value (no label in PromQL).
prometheus::MetricFamily netns_info_family(const NetnsIdentities& ids);

class NetnsInfoCollector : public prometheus::Collectable {
 public:
  // `identities` returns what the last namespace rescan found (ProbeManager): a scrape
  // walks no /proc.
  explicit NetnsInfoCollector(std::function<NetnsIdentities()> identities);
  std::vector<prometheus::MetricFamily> Collect() const override;  // never throws

 private:
  std::function<NetnsIdentities()> identities_;
};

}  // namespace nfct
