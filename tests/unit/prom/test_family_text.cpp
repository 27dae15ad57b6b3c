// prometheus-cpp families written without its serializer (prom/family_text.h) against
// TextSerializer itself, byte for byte.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "family_text.h"
#include "prom_family.h"
#include "text_check.h"

using namespace nfct;
using namespace nfct::test;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

std::vector<MetricFamily> edge_families() {
  auto counter = make_family("c_total", "A counter with \\ and \" in its help (written as is).", MetricType::Counter);
  add_sample(counter, {}, 0);
  add_sample(counter, {{"a", "quote\" back\\slash new\nline"}, {"b", ""}}, 18446744073709551615.0);
  add_sample(counter, {{"z", "1"}, {"a", "2"}}, 9007199254740993.0);  // label order kept
  auto gauge = make_family("g", "A gauge.", MetricType::Gauge);
  add_sample(gauge, {{"x", "\xc3\xa9t\xc3\xa9"}}, 0.1);
  add_sample(gauge, {}, -1.5e-7);
  add_sample(gauge, {}, NAN);
  add_sample(gauge, {}, INFINITY);
  add_sample(gauge, {}, -INFINITY);
  add_sample(gauge, {}, std::numeric_limits<double>::max());
  gauge.metric.back().timestamp_ms = 1764650000123;
  auto no_help = make_family("no_help", "", MetricType::Gauge);  // no HELP line
  add_sample(no_help, {{"k", "v"}}, 42);
  auto empty = make_family("empty_total", "No samples: HELP and TYPE only.", MetricType::Counter);
  MetricFamily untyped;
  untyped.name = "u";
  untyped.help = "Untyped.";
  untyped.type = MetricType::Untyped;
  untyped.metric.emplace_back().untyped.value = 3;
  MetricFamily histogram;  // left to prometheus-cpp, in its place in the order
  histogram.name = "h";
  histogram.help = "A histogram.";
  histogram.type = MetricType::Histogram;
  auto& hm = histogram.metric.emplace_back();
  hm.histogram.sample_count = 3;
  hm.histogram.sample_sum = 0.5;
  hm.histogram.bucket.push_back({1, 0.25});
  MetricFamily summary;
  summary.name = "s";
  summary.type = MetricType::Summary;
  summary.metric.emplace_back().summary.sample_count = 1;
  return {counter, gauge, no_help, empty, untyped, histogram, summary};
}

}  // namespace

TEST_CASE("families written without prometheus-cpp's serializer: the same bytes") {
  const auto fs = edge_families();
  std::string got = "# HELP before h\n";
  text::append_families(got, fs);
  CAPTURE(got);
  CHECK(got == "# HELP before h\n" + serialize(fs));
  CHECK(got.find("c_total{a=\"quote\\\" back\\\\slash new\\nline\",b=\"\"} 1.844674407370955e+19\n") !=
        std::string::npos);
  CHECK(got.find("c_total{z=\"1\",a=\"2\"} 9007199254740992\n") != std::string::npos);
  CHECK(got.find("g 1.797693134862316e+308 1764650000123\n") != std::string::npos);
  CHECK(got.find("# HELP no_help") == std::string::npos);

  std::string none;
  text::append_families(none, {});
  CHECK(none.empty());
}

TEST_CASE("promtool check metrics accepts the families written directly") {
  if (!have_promtool()) {
    MESSAGE("promtool not installed: skipped (scripts/install-deps.sh --test installs it)");
    return;
  }
  // Without the histogram and summary (prometheus-cpp's own text) and the backslash in a
  // help text (written as is, as prometheus-cpp does; the format wants it escaped: the
  // exporter's help texts have none), and without the largest double, which %.16g rounds
  // up past the largest double (prometheus-cpp's text too; no exporter value comes near).
  auto fs = edge_families();
  fs.erase(fs.begin() + 5, fs.end());
  fs[0].help = "A counter.";
  fs[1].metric.back().gauge.value = 1.5e300;
  fs[2].help = "Now with help (promtool's linter wants it).";
  std::string page;
  text::append_families(page, fs);
  auto [status, out] = promtool_check(page);
  CAPTURE(page);
  CAPTURE(out);
  CHECK(status == 0);
}
