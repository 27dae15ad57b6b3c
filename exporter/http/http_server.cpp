#include "http_server.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "error.h"
#include "http_accept.h"
#include "http_util.h"
#include "log.h"
#include "memory_trimmer.h"
#include "metrics_page.h"
#include "web_security.h"

namespace nfct {
namespace {

class MetricsHandler : public GetOnlyHandler {
 public:
  MetricsHandler(std::string path, std::vector<std::shared_ptr<prometheus::Collectable>> c)
      : GetOnlyHandler(std::move(path)), page_(std::move(c)) {}
  bool get(mg_connection* conn, bool head) override {
    // The scrape's transient memory goes back to the system later. A small page allocates
    // little (glibc gives back the top of its heap above 128 KiB by itself), and a trim
    // after each scrape cost a wake-up per scrape and a malloc_trim() walk of every
    // arena (bench/scrape_floor.py).
    if (page_.serve(conn, head) >= kTrimAfterBytes) trimmer_.request();
    return true;
  }

 private:
  static constexpr size_t kTrimAfterBytes = 256 << 10;  // about 2 500 series
  MetricsPage page_;
  MemoryTrimmer trimmer_;
};

class HealthHandler : public GetOnlyHandler {
 public:
  explicit HealthHandler(std::function<bool()> healthy)
      : GetOnlyHandler("/healthz"), healthy_(std::move(healthy)) {}
  bool get(mg_connection* conn, bool head) override {
    bool ok = healthy_();
    send_response(conn, ok ? 200 : 503, "text/plain; charset=utf-8",
                  ok ? "ok\n" : "no probe attached\n", head);
    return true;
  }

 private:
  std::function<bool()> healthy_;
};

class IndexHandler : public GetOnlyHandler {
 public:
  explicit IndexHandler(std::string metrics_path)
      : GetOnlyHandler("/"), metrics_path_(std::move(metrics_path)) {}
  bool get(mg_connection* conn, bool head) override {
    const std::string body =
        "<!DOCTYPE html>\n<html><head><title>nfct_exporter</title></head><body>\n"
        "<h1>nfct_exporter</h1>\n<p>Prometheus exporter for Linux netfilter conntrack.</p>\n<ul>\n"
        "<li><a href=\"" + metrics_path_ + "\">" + metrics_path_ + "</a>: metrics</li>\n"
        "<li><a href=\"/events\">/events</a>: recently sampled conntrack events</li>\n"
        "<li><a href=\"/healthz\">/healthz</a>: health</li>\n</ul>\n</body></html>\n";
    send_response(conn, 200, "text/html; charset=utf-8", body, head);
    return true;
  }

 private:
  std::string metrics_path_;
};

}  // namespace

std::string render_metrics(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables)
    for (auto& f : c->Collect()) families.push_back(std::move(f));
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, families);
  return os.str();
}

HttpServer::HttpServer(const HttpOptions& opts,
                       std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
                       std::function<bool()> healthy)
    : limits_(std::make_unique<ConnectionLimits>(opts.limits)) {
  // Admission happens at accept (http_accept.h), so that every admitted connection has a
  // worker thread at once: the limit plus a few for connections being torn down.
  const std::string timeout_ms = std::to_string(opts.header_timeout.count());
  std::vector<std::string> options = {
      "listening_ports", opts.address.civetweb_port(),
      "num_threads", std::to_string(opts.limits.max_total + 4),
      // A total deadline for a request head (civetweb measures it from the connection's
      // start, so a client trickling bytes is cut too), and for the next head of a
      // kept-alive connection; also the limit on a write that makes no progress.
      "request_timeout_ms", timeout_ms,
      "keep_alive_timeout_ms", timeout_ms,
      // Handlers write complete responses with Content-Length, so connections are kept
      // alive (Prometheus reuses its connection); /events?follow=1 streams until it closes
      // the connection (close_after_response). An idle kept-alive connection holds a
      // worker thread and an admission slot until the deadline above.
      "enable_keep_alive", "yes",
      // A response goes out as two writes (head, then body): with Nagle's algorithm the
      // body waits for the client's delayed ACK of the head, 40 ms on a kept-alive
      // connection (measured by bench/run.sh before this option; a closed connection
      // flushes at once).
      "tcp_nodelay", "1",
  };
  if (accept_gate_effective())
    set_accept_gate(limits_.get(), opts.header_timeout);
  else
    spdlog::warn("HTTP connection limits are not enforced: civetweb's accept() does not reach the exporter");
  collectables.push_back(std::make_shared<ConnectionLimitsCollector>(*limits_));
  CivetCallbacks callbacks;
  add_connection_callbacks(callbacks);
  // TLS and basic auth (--web.config.file) chain their begin_request in front of these.
  const void* user_context = opts.security ? opts.security->install(options, callbacks) : nullptr;
  set_serving(false);
  // Set again however this constructor ends, so that no request waits for good.
  struct Serve {
    ~Serve() { set_serving(true); }
  } serve;
  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks, user_context);
  } catch (const CivetException& e) {
    set_accept_gate(nullptr, opts.header_timeout);
    throw FatalError("cannot listen on " + opts.address.text + ": " + e.what() +
                     " (address in use, or not an address of this host?)");
  }
  handlers_.push_back(std::make_unique<MetricsHandler>(opts.telemetry_path, std::move(collectables)));
  server_->addHandler(opts.telemetry_path, handlers_.back().get());
  handlers_.push_back(std::make_unique<HealthHandler>(std::move(healthy)));
  server_->addHandler("/healthz", handlers_.back().get());
  handlers_.push_back(std::make_unique<IndexHandler>(opts.telemetry_path));
  server_->addHandler("/", handlers_.back().get());
}

HttpServer::~HttpServer() {
  if (server_) server_->close();  // stops the worker threads before the handlers go
  set_accept_gate(nullptr, {});
}

void HttpServer::add_handler(const std::string& uri, CivetHandler* handler) {
  server_->addHandler(uri, handler);
}

}  // namespace nfct
