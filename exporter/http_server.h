// The HTTP front: /metrics (configurable path), /healthz and a landing page on `/`.
#pragma once

#include <prometheus/collectable.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "listen_address.h"

class CivetServer;
class CivetHandler;

namespace nfct {

class WebSecurity;

// Concurrent HTTP connections; follow=1 streams may take all but kReservedThreads.
inline constexpr int kHttpThreads = 32;
inline constexpr int kReservedThreads = 8;

struct HttpOptions {
  ListenAddress address;
  std::string telemetry_path = "/metrics";
  int threads = kHttpThreads;
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
  std::vector<std::unique_ptr<CivetHandler>> handlers_;
  std::unique_ptr<CivetServer> server_;
};

// Serializes the families of all collectables in the Prometheus text format.
std::string render_metrics(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

}  // namespace nfct
