// A Collectable that can render some of its families straight into Prometheus text
// (see counter_text.h) and hands the rest back as prometheus-cpp families.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace nfct {

class TextCollectable {
 public:
  virtual ~TextCollectable() = default;
  // Appends complete families (HELP, TYPE, samples) to `text` and returns the other
  // families; no family may be in both. Never throws.
  virtual std::vector<prometheus::MetricFamily> CollectText(std::string& text) const = 0;
};

}  // namespace nfct
