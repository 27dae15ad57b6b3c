// One dump of a namespace's conntrack table, counted by zone, protocol and TCP state on
// the fly: no entry is kept, memory is bounded by the number of distinct series.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "ct_socket.h"
#include "ctnetlink_msg.h"

namespace nfct {

// What one dump of a table counted: the zone-count type of the aggregator, of a dump's
// result and of the dumper's status (zone_dumper.h).
struct ZoneCounts {
  std::map<CtEntryKey, uint64_t> by_key;  // entries by zone, direction, protocol, TCP state
  uint64_t entries = 0;                   // entries seen in the dump
  uint64_t unlabeled = 0;                 // entries not in by_key: series limit reached
};

// Counts keys up to `max_series` distinct ones; later new keys are counted unlabeled.
class ZoneAggregator {
 public:
  explicit ZoneAggregator(size_t max_series) : max_series_(max_series) {}
  void add(const CtEntryKey& k);
  const ZoneCounts& counts() const { return counts_; }
  ZoneCounts take() { return std::move(counts_); }

 private:
  size_t max_series_;
  ZoneCounts counts_;
};

enum class DumpOutcome { Ok, Timeout, Error };

struct ZoneDumpResult {
  DumpOutcome outcome = DumpOutcome::Error;
  std::string error;
  ZoneCounts counts;  // complete only when outcome is Ok
};

// Dumps the table of the socket's namespace. Stops with Timeout when `deadline` passes
// (the socket is then broken() and must be replaced) and with Error when `stop` is set.
ZoneDumpResult dump_zones(CtSocket& sock, Deadline deadline, size_t max_series,
                          const std::atomic<bool>& stop);

}  // namespace nfct
