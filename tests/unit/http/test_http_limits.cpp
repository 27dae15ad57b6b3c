// HTTP connection admission (exporter/http_limits.h) and the web.* limit keys.
#include <doctest/doctest.h>

#include <prometheus/metric_family.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "http_limits.h"
#include "http_server.h"

using nfct::ConnectionLimits;
using V = ConnectionLimits::Verdict;

TEST_CASE("limits: per client address, then in total; refusals counted by reason") {
  ConnectionLimits l({/*max_total=*/4, /*max_per_client=*/2});
  CHECK(l.admit("127.0.0.1") == V::Admitted);
  CHECK(l.admit("127.0.0.1") == V::Admitted);
  CHECK(l.admit("127.0.0.1") == V::RefusedPerClient);  // a third from the same address
  CHECK(l.open("127.0.0.1") == 2);
  CHECK(l.admit("127.0.0.2") == V::Admitted);          // another address still gets in
  CHECK(l.admit("127.0.0.3") == V::Admitted);
  CHECK(l.open() == 4);
  CHECK(l.admit("127.0.0.4") == V::RefusedTotal);      // the total is reached
  CHECK(l.refused_per_client() == 1);
  CHECK(l.refused_total() == 1);
  CHECK(l.open() == 4);  // refusals hold nothing

  CHECK(l.release("127.0.0.1"));
  CHECK(l.open("127.0.0.1") == 1);
  CHECK(l.admit("127.0.0.4") == V::Admitted);  // the freed slot is usable by anyone
  CHECK(l.admit("127.0.0.1") == V::RefusedTotal);
}

TEST_CASE("limits: a release without an admission frees nothing") {
  ConnectionLimits l({2, 2});
  CHECK_FALSE(l.release("10.0.0.1"));
  CHECK(l.admit("10.0.0.1") == V::Admitted);
  CHECK(l.release("10.0.0.1"));
  CHECK_FALSE(l.release("10.0.0.1"));  // a double release does not go below zero
  CHECK(l.open() == 0);
  CHECK(l.admit("10.0.0.2") == V::Admitted);
  CHECK(l.admit("10.0.0.2") == V::Admitted);
  CHECK(l.admit("10.0.0.3") == V::RefusedTotal);
}

TEST_CASE("limits: concurrent admissions never exceed the caps and all slots come back") {
  ConnectionLimits l({64, 8});
  std::vector<std::thread> threads;
  std::atomic<int> over{0};
  for (int t = 0; t < 8; t++)
    threads.emplace_back([&, t] {
      const std::string client = "10.0.0." + std::to_string(t % 3);  // shared addresses
      for (int i = 0; i < 5000; i++) {
        if (l.admit(client) == V::Admitted) {
          if (l.open(client) > 8 || l.open() > 64) over++;
          l.release(client);
        }
      }
    });
  for (auto& th : threads) th.join();
  CHECK(over == 0);
  CHECK(l.open() == 0);
  for (int i = 0; i < 3; i++) CHECK(l.open("10.0.0." + std::to_string(i)) == 0);
}

TEST_CASE("limits: self metrics") {
  ConnectionLimits l({16, 1});
  l.admit("a");
  l.admit("a");
  l.count_timeout();
  auto fams = nfct::ConnectionLimitsCollector(l).Collect();
  auto value = [&](const std::string& name, const std::string& reason = "") {
    for (const auto& f : fams)
      if (f.name == name)
        for (const auto& m : f.metric)
          if (reason.empty() || (!m.label.empty() && m.label[0].value == reason))
            return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    return -1.0;
  };
  CHECK(value("nfct_exporter_http_connections") == 1);
  CHECK(value("nfct_exporter_http_max_connections") == 16);
  CHECK(value("nfct_exporter_http_max_connections_per_client") == 1);
  CHECK(value("nfct_exporter_http_connections_refused_total", "per_client") == 1);
  CHECK(value("nfct_exporter_http_connections_refused_total", "total") == 0);
  CHECK(value("nfct_exporter_http_timeouts_total") == 1);
}

TEST_CASE("limits: follow=1 streams leave connections for scrapes") {
  CHECK(nfct::max_followers(64) == 24);
  CHECK(nfct::max_followers(32) == 24);
  CHECK(nfct::max_followers(16) == 8);
}

namespace {
std::string config_error(const std::string& yaml) {
  try {
    nfct::parse_config(yaml, "t.yaml");
  } catch (const nfct::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("config: web connection limits and header timeout") {
  auto d = nfct::parse_config("", "t.yaml");
  CHECK(d.max_connections == 64);
  CHECK(d.max_connections_per_client == 32);
  CHECK(d.header_timeout == std::chrono::seconds(5));
  auto c = nfct::parse_config(
      "web:\n  max_connections: 100\n  max_connections_per_client: 10\n  header_timeout: 2s\n", "t.yaml");
  CHECK(c.max_connections == 100);
  CHECK(c.max_connections_per_client == 10);
  CHECK(c.header_timeout == std::chrono::seconds(2));
  CHECK(config_error("web:\n  max_connections: 8\n").find("t.yaml:2:20: web.max_connections: 8 is out of range") == 0);
  CHECK(config_error("web:\n  max_connections: 16\n  max_connections_per_client: 17\n")
            .find("max_connections_per_client must not be more than max_connections") != std::string::npos);
  CHECK(config_error("web:\n  header_timeout: 2m\n").find("web.header_timeout: must be at most 1m") !=
        std::string::npos);
  CHECK(config_error("web:\n  header_timeout: 10ms\n").find("at least 100ms") != std::string::npos);
}
