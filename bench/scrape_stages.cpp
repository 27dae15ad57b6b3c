// scrape_stages: times the stages of one /metrics scrape outside the exporter, on the
// exporter's own counter map (opened by id while the exporter runs) and with the exporter's
// own code (nfct_core), so that the benchmark can say where a slow scrape spends its time.
//
//   scrape_stages --map-id=N [--reps=K]
//
// Stages: read (bpf_map_lookup_batch of every entry, per-CPU values summed: CounterReader),
// aggregate (entries -> label sets: aggregate()), families (prometheus-cpp MetricFamily
// objects: counter_families()), serialize (prometheus::TextSerializer into a string).
// Prints one JSON line with the median and minimum of each stage in milliseconds, the
// number of entries and the bytes of the text.
#include <bpf/bpf.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "counter_aggregate.h"
#include "counter_reader.h"
#include "metric_families.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double minimum(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

}  // namespace

int main(int argc, char** argv) {
  uint32_t map_id = 0;
  int reps = 20;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--map-id=", 0) == 0) map_id = static_cast<uint32_t>(std::stoul(a.substr(9)));
    else if (a.rfind("--reps=", 0) == 0) reps = std::stoi(a.substr(7));
    else {
      std::fprintf(stderr, "usage: scrape_stages --map-id=N [--reps=K]\n");
      return 2;
    }
  }
  int fd = bpf_map_get_fd_by_id(map_id);
  if (fd < 0) {
    std::fprintf(stderr, "scrape_stages: map id %u: %s\n", map_id, std::strerror(errno));
    return 1;
  }
  nfct::ProbeNames names;
  const char* hooks[] = {"prerouting", "input", "forward", "output", "postrouting"};
  for (int i = 0; i < 10; i++)
    names[static_cast<uint8_t>(i)] = std::string("nf:") + (i < 5 ? "ipv4:" : "ipv6:") + hooks[i % 5];

  nfct::CounterReader reader(fd, -1);
  std::vector<double> t_read, t_agg, t_fam, t_ser;
  size_t entries = 0, bytes = 0;
  for (int r = 0; r < reps; r++) {
    auto t0 = Clock::now();
    auto e = reader.read_counters();
    auto t1 = Clock::now();
    if (!e) {
      std::fprintf(stderr, "scrape_stages: %s\n", e.error().c_str());
      return 1;
    }
    auto agg = nfct::aggregate(*e);
    auto t2 = Clock::now();
    auto fams = nfct::counter_families(agg, names);
    auto t3 = Clock::now();
    std::ostringstream os;
    prometheus::TextSerializer().Serialize(os, fams);
    std::string text = os.str();
    auto t4 = Clock::now();
    t_read.push_back(ms(t0, t1));
    t_agg.push_back(ms(t1, t2));
    t_fam.push_back(ms(t2, t3));
    t_ser.push_back(ms(t3, t4));
    entries = e->size();
    bytes = text.size();
  }
  std::printf(
      "{\"entries\": %zu, \"bytes\": %zu, \"reps\": %d, "
      "\"read_ms\": %.4f, \"aggregate_ms\": %.4f, \"families_ms\": %.4f, \"serialize_ms\": %.4f, "
      "\"read_min_ms\": %.4f, \"aggregate_min_ms\": %.4f, \"families_min_ms\": %.4f, \"serialize_min_ms\": %.4f}\n",
      entries, bytes, reps, median(t_read), median(t_agg), median(t_fam), median(t_ser), minimum(t_read),
      minimum(t_agg), minimum(t_fam), minimum(t_ser));
  return 0;
}
