// The optional per-zone entry counts: a background thread dumps each covered
// namespace's table every `interval`, each dump bounded by `timeout`, and keeps the
// counts of the last complete dump for the collector (zone_collector.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "netns_scan.h"
#include "netns_sockets.h"
#include "table_families.h"

namespace nfct {

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

 private:
  std::function<NetnsMap()> covered_;
  NetnsSockets& sockets_;
  Options opts_;
  mutable std::mutex mu_;
  ZoneStatus status_;

  std::mutex thread_mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace nfct
