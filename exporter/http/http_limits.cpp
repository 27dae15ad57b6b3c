#include "http_limits.h"

#include "log.h"
#include "prom_family.h"

namespace nfct {

ConnectionLimits::Verdict ConnectionLimits::admit(std::string_view client) {
  std::lock_guard lock(mu_);
  if (open_ >= opts_.max_total) {
    refused_total_.fetch_add(1, std::memory_order_relaxed);
    return Verdict::RefusedTotal;
  }
  size_t& n = per_client_[std::string(client)];
  if (n >= opts_.max_per_client) {
    refused_per_client_.fetch_add(1, std::memory_order_relaxed);
    return Verdict::RefusedPerClient;  // n > 0 here: the entry existed before
  }
  n++;
  open_++;
  return Verdict::Admitted;
}

bool ConnectionLimits::release(std::string_view client) {
  std::lock_guard lock(mu_);
  auto it = per_client_.find(std::string(client));
  if (it == per_client_.end()) return false;
  if (--it->second == 0) per_client_.erase(it);  // the map holds only open clients
  open_--;
  return true;
}

size_t ConnectionLimits::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

size_t ConnectionLimits::open(std::string_view client) const {
  std::lock_guard lock(mu_);
  auto it = per_client_.find(std::string(client));
  return it == per_client_.end() ? 0 : it->second;
}

std::vector<prometheus::MetricFamily> ConnectionLimitsCollector::Collect() const {
  try {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    out.push_back(make_family("nfct_exporter_http_connections", "Open HTTP connections (admitted).",
                              MetricType::Gauge));
    add_sample(out.back(), {}, static_cast<double>(limits_.open()));
    out.push_back(make_family("nfct_exporter_http_max_connections",
                              "Limit on open HTTP connections (web.max_connections).", MetricType::Gauge));
    add_sample(out.back(), {}, static_cast<double>(limits_.options().max_total));
    out.push_back(make_family("nfct_exporter_http_max_connections_per_client",
                              "Limit on open HTTP connections from one client address "
                              "(web.max_connections_per_client).",
                              MetricType::Gauge));
    add_sample(out.back(), {}, static_cast<double>(limits_.options().max_per_client));
    out.push_back(make_family("nfct_exporter_http_connections_refused_total",
                              "HTTP connections closed at once because a connection limit was reached.",
                              MetricType::Counter));
    add_sample(out.back(), {{"reason", "per_client"}}, static_cast<double>(limits_.refused_per_client()));
    add_sample(out.back(), {{"reason", "total"}}, static_cast<double>(limits_.refused_total()));
    out.push_back(make_family("nfct_exporter_http_timeouts_total",
                              "HTTP connections closed because no complete request head arrived within "
                              "web.header_timeout (new and kept-alive idle connections).",
                              MetricType::Counter));
    add_sample(out.back(), {}, static_cast<double>(limits_.timeouts()));
    return out;
  } catch (const std::exception& e) {
    spdlog::warn("http metrics: {}", e.what());
    return {};
  }
}

}  // namespace nfct
