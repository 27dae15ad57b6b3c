// Admission of HTTP connections: at most `max_total` open connections, at most
// `max_per_client` from one client address; the excess is refused (closed at once by
// the accept gate, http_accept.h). Also counts connections closed for want of a request.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nfct {

class ConnectionLimits {
 public:
  struct Options {
    size_t max_total = 64;
    size_t max_per_client = 32;
  };
  enum class Verdict { Admitted, RefusedPerClient, RefusedTotal };

  explicit ConnectionLimits(Options opts) : opts_(opts) {}

  // `client` is the client's address (any stable text, e.g. "127.0.0.1"). An admitted
  // connection must be released exactly once, with the same `client`.
  Verdict admit(std::string_view client);
  // Releasing a client that holds no connection is ignored (and returns false), so that
  // a close the gate never admitted cannot free another connection's slot.
  bool release(std::string_view client);
  // A connection closed because no complete request head arrived in time.
  void count_timeout() { timeouts_.fetch_add(1, std::memory_order_relaxed); }

  const Options& options() const { return opts_; }
  size_t open() const;
  size_t open(std::string_view client) const;
  uint64_t refused_per_client() const { return refused_per_client_.load(std::memory_order_relaxed); }
  uint64_t refused_total() const { return refused_total_.load(std::memory_order_relaxed); }
  uint64_t timeouts() const { return timeouts_.load(std::memory_order_relaxed); }

 private:
  const Options opts_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> per_client_;  // only clients with open connections
  size_t open_ = 0;
  std::atomic<uint64_t> refused_per_client_{0}, refused_total_{0}, timeouts_{0};
};

// The nfct_exporter_http_* self metrics of a ConnectionLimits.
class ConnectionLimitsCollector : public prometheus::Collectable {
 public:
  explicit ConnectionLimitsCollector(const ConnectionLimits& limits) : limits_(limits) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const ConnectionLimits& limits_;
};

}  // namespace nfct
