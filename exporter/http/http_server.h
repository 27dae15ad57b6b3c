// The HTTP front: /metrics (configurable path), /healthz and a landing page on `/`.
#pragma once

#include <prometheus/collectable.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http_limits.h"
#include "listen_address.h"

class CivetServer;
class CivetHandler;

namespace nfct {

class WebSecurity;

// follow=1 streams may take all connections but kReservedThreads (for scrapes), and at
// most kMaxFollowers.
inline constexpr size_t kReservedThreads = 8;
inline constexpr size_t kMaxFollowers = 24;
inline size_t max_followers(size_t max_connections) {
  return std::min(kMaxFollowers, max_connections > kReservedThreads ? max_connections - kReservedThreads : 1);
}

struct HttpOptions {
  ListenAddress address;
  std::string telemetry_path = "/metrics";
  // Open connections in total and per client address (the excess is closed at once), and
  // how long a connection may take to send a request head, or stay idle between requests.
  ConnectionLimits::Options limits;
  std::chrono::milliseconds header_timeout{5000};
  const WebSecurity* security = nullptr;  // --web.config.file: TLS and basic auth; null = plain HTTP
};

class HttpServer {
 public:
  // Starts listening; throws FatalError when the address cannot be used.
  HttpServer(const HttpOptions& opts, std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
             std::function<bool()> healthy);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a handler for `uri` (used by later features, such as /events).
  void add_handler(const std::string& uri, CivetHandler* handler);

 private:
  std::unique_ptr<ConnectionLimits> limits_;  // outlives the server's threads
  std::vector<std::unique_ptr<CivetHandler>> handlers_;
  std::unique_ptr<CivetServer> server_;
};

// Serializes the families of all collectables in the Prometheus text format.
std::string render_metrics(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

}  // namespace nfct
