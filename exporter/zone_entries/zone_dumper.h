// The optional per-zone entry counts: a background thread dumps each covered
// namespace's table every `interval`, each dump bounded by `timeout`, and keeps the
// counts of the last complete dump for the collector (zone_collector.h).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>

#include "background_task.h"
#include "netns_scan.h"
#include "netns_sockets.h"
#include "zone_dump.h"

namespace nfct {

// The dumper's view of one namespace.
struct ZoneDump {
  ZoneCounts counts;               // of the last complete dump
  double duration_seconds = 0;     // of the last dump, complete or not
  double last_success_unix = 0;    // 0: no complete dump yet
};
struct ZoneStatus {
  std::map<uint64_t, ZoneDump> netns;  // by namespace
  uint64_t dumps = 0;
  uint64_t timeouts = 0;
  uint64_t errors = 0;  // other failures
};

class ZoneDumper {
 public:
  struct Options {
    std::chrono::milliseconds interval{30000};
    std::chrono::milliseconds timeout{10000};  // per namespace and dump
    size_t max_series = 1000;                  // per namespace
  };
  ZoneDumper(std::function<NetnsMap()> covered, NetnsSockets& sockets, Options opts);
  ~ZoneDumper();
  ZoneDumper(const ZoneDumper&) = delete;
  ZoneDumper& operator=(const ZoneDumper&) = delete;

  void start();  // a first round now, then one every interval
  void stop();
  void run_once();  // one round over every covered namespace
  void forget(uint64_t inode);
  ZoneStatus status() const;
  // Calls `f` with the status under the dumper's lock, without copying it (the page
  // renders nfct_zone_entries from it: up to max_series keys per namespace). `f` must
  // not call back into the dumper; a dump waits for it to return before it stores its
  // counts.
  void with_status(const std::function<void(const ZoneStatus&)>& f) const;

 private:
  std::function<NetnsMap()> covered_;
  NetnsSockets& sockets_;
  Options opts_;
  mutable std::mutex mu_;
  ZoneStatus status_;
  // Last: destroyed (its thread joined) before what run_once() uses.
  BackgroundTask task_;
};

}  // namespace nfct
