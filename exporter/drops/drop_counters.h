// Reads the drop probe's map (bpf/drop.h) and turns it into nfct_drop_packets_total and
// nfct_drop_bytes_total.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <vector>

#include "drop.h"
#include "drop_reasons.h"
#include "expected.h"

namespace nfct {

struct DropEntry {
  nfct_drop_key key;
  nfct_value value;  // summed over CPUs
};

class DropReader {
 public:
  explicit DropReader(int drops_fd);
  // Every entry, with batched lookups (a few syscalls per scrape).
  Expected<std::vector<DropEntry>> read() const;
  // Deletes every entry of a namespace that no longer exists; returns how many.
  size_t purge_netns(uint32_t netns) const;

 private:
  int fd_;
  int ncpus_;
};

inline constexpr const char* kDropPacketsName = "nfct_drop_packets_total";
inline constexpr const char* kDropPacketsHelp =
    "Packets the kernel dropped (skb:kfree_skb), by drop reason, the packet's conntrack state and the "
    "connection's zone.";
inline constexpr const char* kDropBytesName = "nfct_drop_bytes_total";
inline constexpr const char* kDropBytesHelp = "Bytes (skb->len) of the dropped packets.";

// The `state` label of a drop: the packet counters' state names, or "no_conntrack".
std::string drop_state_label(uint8_t state);

// nfct_drop_packets_total and nfct_drop_bytes_total{netns, reason, state, zone}. Entries
// that differ only in what the labels do not show (none today) are summed.
std::vector<prometheus::MetricFamily> drop_families(const std::vector<DropEntry>& entries,
                                                    const DropReasons& reasons);

}  // namespace nfct
