#include "zone_dump.h"

namespace nfct {

void ZoneAggregator::add(const CtEntryKey& k) {
  counts_.entries++;
  auto it = counts_.by_key.find(k);
  if (it != counts_.by_key.end()) {
    it->second++;
  } else if (counts_.by_key.size() < max_series_) {
    counts_.by_key.emplace(k, 1);
  } else {
    counts_.unlabeled++;
  }
}

ZoneDumpResult dump_zones(CtSocket& sock, Deadline deadline, size_t max_series, const std::atomic<bool>& stop) {
  std::lock_guard lk(sock.mutex());
  ZoneAggregator agg(max_series);
  uint32_t seen = 0;
  auto r = sock.transact(CtRequest::CtDump, deadline, [&](const nlmsghdr* nlh) -> std::optional<std::string> {
    auto k = parse_ct_entry(nlh);
    if (!k) return k.error();
    agg.add(*k);
    // The socket checks the deadline between datagrams; a datagram holds up to about a
    // hundred entries, so checking here too keeps the bound tight.
    if ((++seen & 63) == 0) {
      if (stop.load(std::memory_order_relaxed)) return std::string("stopped");
      if (std::chrono::steady_clock::now() >= deadline) return std::string("no complete answer before the deadline");
    }
    return std::nullopt;
  });
  ZoneDumpResult out;
  if (!r) {
    out.outcome = std::chrono::steady_clock::now() >= deadline ? DumpOutcome::Timeout : DumpOutcome::Error;
    out.error = r.error();
    return out;
  }
  out.outcome = DumpOutcome::Ok;
  out.counts = agg.take();
  return out;
}

}  // namespace nfct
