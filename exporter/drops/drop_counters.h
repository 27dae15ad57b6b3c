// Reads the drop probe's map (bpf/drop.h) and turns it into nfct_drop_packets_total and
// nfct_drop_bytes_total.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "counting_table.h"
#include "hidden_netns.h"
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
  // `table`: the drop probe's counting table (it must outlive the reader), null when off.
  explicit DropReader(int drops_fd, const SlotTableView* table = nullptr);
  // Every entry: the table's slots read in place, then the hash with batched lookups (a
  // few syscalls per scrape). A key may appear more than once (in two slots, or in a slot
  // and the hash): the families add them up.
  // `hash_entries`, when given, receives the number of entries in the hash map, and
  // `table_slots` the number of used slots of the table.
  Expected<std::vector<DropEntry>> read(size_t* hash_entries = nullptr, size_t* table_slots = nullptr) const;
  // The counting table (null when off), for its size in nfct_map_max_entries.
  const SlotTableView* table() const { return table_; }
  // A namespace no longer exists: deletes its hash entries (returns how many) and hides
  // its table slots, which stay claimed, until a packet is counted for its inode number
  // again (a new namespace that reuses the number: its series then come back).
  size_t purge_netns(uint32_t netns) const;

 private:
  int fd_;
  int ncpus_;
  const SlotTableView* table_;
  // Serialises reads and purges (scrapes and the probe manager's thread).
  mutable std::mutex mu_;
  // Vanished namespaces whose table slots are hidden.
  mutable HiddenNetns hidden_;
  mutable size_t last_size_ = 0;  // entries the last read() found
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
