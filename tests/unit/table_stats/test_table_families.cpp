// Metric families of the table statistics, the per-namespace socket set and the
// table_stats / zone_entries config keys.
#include <doctest/doctest.h>

#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "../family_lookup.h"
#include "config.h"
#include "cpu_stat_row.h"
#include "netns_sockets.h"
#include "table_collector.h"
#include "table_families.h"

using namespace nfct;
using namespace nfct::test;
using namespace std::chrono_literals;

namespace {

TableStats sample_stats() {
  TableStats s;
  s.entries = 10;
  s.max_entries = 262144;
  s.ct_cpu = {row(0, {{CTA_STATS_FOUND, 1}, {CTA_STATS_DROP, 2}, {CTA_STATS_INSERT, 0}}),
              row(1, {{CTA_STATS_FOUND, 3}, {CTA_STATS_DROP, 5}, {CTA_STATS_INSERT, 0}})};
  s.exp_cpu = {row(0, {{CTA_STATS_EXP_NEW, 1}, {CTA_STATS_EXP_CREATE, 2}, {CTA_STATS_EXP_DELETE, 3}}),
               row(1, {{CTA_STATS_EXP_NEW, 4}, {CTA_STATS_EXP_CREATE, 5}, {CTA_STATS_EXP_DELETE, 6}})};
  s.expectations = 2;
  return s;
}

}  // namespace

TEST_CASE("table families: summed over CPUs") {
  Families fs = table_families({{4026531993, sample_stats()}}, false, 0, 0.25);
  const std::map<std::string, std::string> ns{{"netns", "4026531993"}};
  CHECK(value(fs, "nfct_table_entries", ns) == 10);
  CHECK(value(fs, "nfct_table_max_entries", ns) == 262144);
  CHECK(value(fs, "nfct_table_found_total", ns) == 4);
  CHECK(value(fs, "nfct_table_drop_total", ns) == 7);
  CHECK(value(fs, "nfct_table_insert_total", ns) == 0);  // present though zero
  CHECK_FALSE(find(fs, "nfct_table_early_drop_total"));   // not sent: not shown
  CHECK(value(fs, "nfct_expect_entries", ns) == 2);
  CHECK(value(fs, "nfct_expect_new_total", ns) == 5);
  CHECK(value(fs, "nfct_expect_create_total", ns) == 7);
  CHECK(value(fs, "nfct_expect_delete_total", ns) == 9);
  CHECK(value(fs, "nfct_table_read_success", ns) == 1);
  CHECK(value(fs, "nfct_table_read_errors_total", {}) == 0);
  CHECK(value(fs, "nfct_table_read_duration_seconds", {}) == 0.25);

  CHECK(find(fs, "nfct_table_entries")->type == prometheus::MetricType::Gauge);
  CHECK(find(fs, "nfct_table_drop_total")->type == prometheus::MetricType::Counter);
  std::set<std::string> names;
  for (const auto& f : fs) {
    CHECK_FALSE(f.help.empty());
    CHECK(names.insert(f.name).second);  // one family per name
    if (f.type == prometheus::MetricType::Counter) CHECK(f.name.ends_with("_total"));
  }
}

TEST_CASE("table families: per CPU") {
  Families fs = table_families({{7, sample_stats()}}, true, 0, 0);
  CHECK(value(fs, "nfct_table_drop_total", {{"netns", "7"}, {"cpu", "0"}}) == 2);
  CHECK(value(fs, "nfct_table_drop_total", {{"netns", "7"}, {"cpu", "1"}}) == 5);
  CHECK(value(fs, "nfct_table_drop_total", {{"netns", "7"}}) == -1);
  CHECK(value(fs, "nfct_expect_new_total", {{"netns", "7"}, {"cpu", "1"}}) == 4);
  CHECK(value(fs, "nfct_table_entries", {{"netns", "7"}}) == 10);  // not per CPU
}

TEST_CASE("table families: a namespace that could not be read") {
  Families fs = table_families({{1, sample_stats()}, {2, std::nullopt}}, false, 3, 0);
  CHECK(value(fs, "nfct_table_read_success", {{"netns", "1"}}) == 1);
  CHECK(value(fs, "nfct_table_read_success", {{"netns", "2"}}) == 0);
  CHECK(value(fs, "nfct_table_entries", {{"netns", "2"}}) == -1);
  CHECK(value(fs, "nfct_table_read_errors_total", {}) == 3);
}

TEST_CASE("namespace sockets: opened once, closed when forgotten, skipped when gone") {
  std::map<uint64_t, int> opened;
  std::set<uint64_t> gone;
  NetnsSockets sockets(
      [&](const std::string&, uint64_t ino) -> Expected<std::unique_ptr<CtSocket>> {
        opened[ino]++;
        return Error{"no kernel in unit tests"};
      },
      [&](const std::string&, uint64_t ino) { return !gone.count(ino); });
  NetnsMap covered{{1, "/run/netns/a"}, {2, "/run/netns/b"}};
  auto slots = sockets.sync(covered);
  REQUIRE(slots.size() == 2);
  CHECK(slots[0].inode == 1);
  CHECK_FALSE(slots[0].socket);
  CHECK(slots[0].error == "no kernel in unit tests");
  gone.insert(2);  // its path no longer leads to it: skipped, not an error
  slots = sockets.sync(covered);
  REQUIRE(slots.size() == 1);
  CHECK(slots[0].inode == 1);
  CHECK(opened[1] == 2);  // failed opens are retried
  CHECK(sockets.size() == 0);
}

TEST_CASE("the table collector reports namespaces it cannot read and never throws") {
  NetnsSockets sockets([](const std::string&, uint64_t) -> Expected<std::unique_ptr<CtSocket>> {
    return Error{"cannot enter"};
  }, [](const std::string&, uint64_t) { return true; });
  TableCollector c([] { return NetnsMap{{5, "/x"}}; }, sockets, {});
  Families fs = c.Collect();
  CHECK(value(fs, "nfct_table_read_success", {{"netns", "5"}}) == 0);
  CHECK(value(fs, "nfct_table_read_errors_total", {}) == 1);
  fs = c.Collect();
  CHECK(value(fs, "nfct_table_read_errors_total", {}) == 2);

  TableCollector throwing([]() -> NetnsMap { throw std::runtime_error("boom"); }, sockets, {});
  CHECK_NOTHROW(throwing.Collect());
}

TEST_CASE("config: table_stats and zone_entries") {
  Config d = parse_config("", "t.yaml");
  CHECK(d.table_stats.enabled);
  CHECK_FALSE(d.table_stats.per_cpu);
  CHECK(d.table_stats.timeout == 2s);
  CHECK_FALSE(d.zone_entries.enabled);
  CHECK(d.zone_entries.interval == 30s);
  CHECK(d.zone_entries.timeout == 10s);
  CHECK(d.zone_entries.max_series == 1000);

  Config c = parse_config(
      "table_stats:\n  enabled: false\n  per_cpu: true\n  timeout: 500ms\n"
      "zone_entries:\n  enabled: true\n  interval: 1m\n  timeout: 20s\n  max_series: 50\n",
      "t.yaml");
  CHECK_FALSE(c.table_stats.enabled);
  CHECK(c.table_stats.per_cpu);
  CHECK(c.table_stats.timeout == 500ms);
  CHECK(c.zone_entries.enabled);
  CHECK(c.zone_entries.interval == 60s);
  CHECK(c.zone_entries.timeout == 20s);
  CHECK(c.zone_entries.max_series == 50);

  auto error = [](const char* yaml) -> std::string {
    try {
      parse_config(yaml, "t.yaml");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error("table_stats:\n  enabled: yes please\n") ==
        "t.yaml:2:12: table_stats.enabled: expected true or false, got 'yes please'");
  CHECK(error("table_stats:\n  per_cpus: true\n").starts_with("t.yaml:2:3: unknown table_stats key 'per_cpus'"));
  CHECK(error("table_stats:\n  timeout: 2m\n") == "t.yaml:2:12: table_stats.timeout: must be at most 1m");
  CHECK(error("zone_entries:\n  interval: 5s\n  timeout: 6s\n") ==
        "t.yaml:2:3: zone_entries: timeout must not be longer than interval");
  CHECK(error("zone_entries:\n  interval: 5\n").starts_with("t.yaml:2:13: zone_entries.interval: "));
  CHECK(error("zone_entries:\n  max_series: 0\n") ==
        "t.yaml:2:15: zone_entries.max_series: 0 is out of range [1, 1000000]");
  CHECK(error("zone_entries: true\n") == "t.yaml:1:15: zone_entries: expected a mapping");
}
