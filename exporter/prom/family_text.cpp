#include "family_text.h"

#include <prometheus/text_serializer.h>

#include <charconv>

#include "text_format.h"

namespace nfct::text {
namespace {

std::string_view type_name(prometheus::MetricType t) {
  switch (t) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Untyped: return "untyped";
    default: return {};
  }
}

double sample_value(const prometheus::MetricFamily& f, const prometheus::ClientMetric& m) {
  switch (f.type) {
    case prometheus::MetricType::Counter: return m.counter.value;
    case prometheus::MetricType::Gauge: return m.gauge.value;
    default: return m.untyped.value;
  }
}

}  // namespace

void append_families(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  for (const auto& f : families) {
    const std::string_view type = type_name(f.type);
    if (type.empty()) {  // summary, histogram: several lines per sample, left to prometheus-cpp
      out += prometheus::TextSerializer().Serialize({f});
      continue;
    }
    // prometheus-cpp leaves out the HELP line of a family without help text.
    if (!f.help.empty()) {
      out += "# HELP ";
      out += f.name;
      out += ' ';
      out += f.help;
      out += '\n';
    }
    out += "# TYPE ";
    out += f.name;
    out += ' ';
    out += type;
    out += '\n';
    for (const auto& m : f.metric) {
      out += f.name;
      if (!m.label.empty()) {
        out += '{';
        bool first = true;
        for (const auto& l : m.label) {
          append_label(out, l.name, l.value, first);
          first = false;
        }
        out += '}';
      }
      out += ' ';
      append_value(out, sample_value(f, m));
      if (m.timestamp_ms != 0) {
        out += ' ';
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, m.timestamp_ms);
        out.append(buf, r.ptr);
      }
      out += '\n';
    }
  }
}

}  // namespace nfct::text
