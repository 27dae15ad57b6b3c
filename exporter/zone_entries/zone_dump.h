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

// Counts keys up to `max_series` distinct ones; later new keys are counted unlabeled.
class ZoneAggregator {
 public:
  explicit ZoneAggregator(size_t max_series) : max_series_(max_series) {}
  void add(const CtEntryKey& k);
  const std::map<CtEntryKey, uint64_t>& counts() const { return counts_; }
  std::map<CtEntryKey, uint64_t> take_counts() { return std::move(counts_); }
  uint64_t entries() const { return entries_; }
  uint64_t unlabeled() const { return unlabeled_; }

 private:
  size_t max_series_;
  std::map<CtEntryKey, uint64_t> counts_;
  uint64_t entries_ = 0;
  uint64_t unlabeled_ = 0;
};

enum class DumpOutcome { Ok, Timeout, Error };

struct ZoneDumpResult {
  DumpOutcome outcome = DumpOutcome::Error;
  std::string error;
  std::map<CtEntryKey, uint64_t> counts;
  uint64_t entries = 0;
  uint64_t unlabeled = 0;
};

// Dumps the table of the socket's namespace. Stops with Timeout when `deadline` passes
// (the socket is then broken() and must be replaced) and with Error when `stop` is set.
ZoneDumpResult dump_zones(CtSocket& sock, Deadline deadline, size_t max_series,
                          const std::atomic<bool>& stop);

}  // namespace nfct
