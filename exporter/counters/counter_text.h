// Renders the packet counter families (nfct_packets_total, nfct_bytes_total,
// nfct_status_packets_total, nfct_zone_packets_total, nfct_no_conntrack_*) straight
// into Prometheus text, without building prometheus-cpp MetricFamily objects: at 20 000
// series those objects and their serialization were most of a scrape's time.
//
// The text is the same, byte for byte, as counter_families() serialized by prometheus-cpp's
// TextSerializer (the unit tests compare them): same families in the same order, same
// labels in the same order, same number formatting.
//
// Each series' label set ({probe="...",netns="...",...}) is built once and kept across
// scrapes; label sets of keys that are gone (a namespace was purged) are dropped at the end
// of the scrape that no longer saw them.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "counter_aggregate.h"
#include "metric_families.h"

namespace nfct {

class CounterTextRenderer {
 public:
  // Appends the counter families for `a` to `out`. Thread-safe: concurrent scrapes take
  // turns on the label cache (a render is a few milliseconds at 20 000 series).
  void render(const Aggregates& a, const ProbeNames& names, std::string& out);

  // Label sets held (all four families' keys), for the tests.
  size_t cached_label_sets() const;

 private:
  // A series key packed into 128 bits: (probe, netns) and (zone, direction, state or bit).
  struct Key {
    uint64_t hi = 0, lo = 0;
    bool operator==(const Key& o) const { return hi == o.hi && lo == o.lo; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Labels {
    std::string text;      // {name="value",...}
    uint64_t seen = 0;     // the render that last used it
  };
  using Cache = std::unordered_map<Key, Labels, KeyHash>;

  const std::string& probe_label(uint8_t probe);
  // Looks `k` up in `c`, building its text with `make` on a miss; marks it seen.
  template <class Make>
  const std::string& labels(Cache& c, const Key& k, Make&& make);
  void evict(Cache& c, size_t used);

  mutable std::mutex mu_;
  ProbeNames names_;
  std::unordered_map<uint8_t, std::string> probe_labels_;  // probe="<escaped name>"
  Cache states_, bits_, zones_, no_ct_;
  uint64_t generation_ = 0;
  std::vector<const std::string*> scratch_;  // label sets shared by the packets and bytes families
};

}  // namespace nfct
