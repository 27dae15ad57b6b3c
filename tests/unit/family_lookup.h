// Looking up samples in prometheus-cpp metric families, for the unit tests.
#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <string>
#include <vector>

namespace nfct::test {

using Families = std::vector<prometheus::MetricFamily>;

inline const prometheus::MetricFamily* find(const Families& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

inline std::map<std::string, std::string> labels(const prometheus::ClientMetric& m) {
  std::map<std::string, std::string> out;
  for (const auto& l : m.label) out[l.name] = l.value;
  return out;
}

// The value of the one sample of `name` with exactly these labels; -1 when absent.
inline double value(const Families& fs, const std::string& name, const std::map<std::string, std::string>& want) {
  const auto* f = find(fs, name);
  if (!f) return -1;
  for (const auto& m : f->metric)
    if (labels(m) == want) return f->type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  return -1;
}

}  // namespace nfct::test
