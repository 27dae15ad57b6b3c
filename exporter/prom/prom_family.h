// Building Prometheus metric families: the helpers every collector uses.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace nfct {

using Labels = std::vector<prometheus::ClientMetric::Label>;

prometheus::MetricFamily make_family(std::string name, std::string help, prometheus::MetricType type);
// Adds one sample; counter or gauge according to the family's type.
void add_sample(prometheus::MetricFamily& f, Labels labels, double value);

// A Collectable that serves a fixed set of families (build info).
class StaticFamilies : public prometheus::Collectable {
 public:
  explicit StaticFamilies(std::vector<prometheus::MetricFamily> f) : f_(std::move(f)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return f_; }

 private:
  std::vector<prometheus::MetricFamily> f_;
};

}  // namespace nfct
