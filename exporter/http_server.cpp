#include "http_server.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "error.h"
#include "http_util.h"
#include "log.h"
#include "memory_trimmer.h"
#include "web_security.h"

namespace nfct {
namespace {

class MetricsHandler : public GetOnlyHandler {
 public:
  MetricsHandler(std::string path, std::vector<std::shared_ptr<prometheus::Collectable>> c)
      : GetOnlyHandler(std::move(path)), c_(std::move(c)) {}
  bool get(mg_connection* conn, bool head) override {
    send_response(conn, 200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(c_), head);
    trimmer_.request();  // the scrape's transient memory goes back to the system later
    return true;
  }

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> c_;
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
                       std::function<bool()> healthy) {
  std::vector<std::string> options = {
      "listening_ports", opts.address.civetweb_port(),
      "num_threads", std::to_string(opts.threads),
      "request_timeout_ms", "30000",
      // Handlers write complete responses themselves (and /events?follow=1 streams
      // until it closes the connection), so connections are not kept alive.
      "enable_keep_alive", "no",
  };
  CivetCallbacks callbacks;
  const void* user_context = opts.security ? opts.security->install(options, callbacks) : nullptr;
  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks, user_context);
  } catch (const CivetException& e) {
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
}

void HttpServer::add_handler(const std::string& uri, CivetHandler* handler) {
  server_->addHandler(uri, handler);
}

}  // namespace nfct
