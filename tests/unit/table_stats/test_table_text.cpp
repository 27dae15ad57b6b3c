// The table statistics families written straight to text (table_stats/table_text.h)
// against the prometheus-cpp families they replace on the page (table_families.h).
//
// Their labels are namespace inode numbers and CPU numbers only, so no label value of
// these families can need escaping; the edge cases are the values and which families and
// samples exist (attributes some CPUs or namespaces lack, unnamed attributes, namespaces
// that could not be read).
#include <doctest/doctest.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <limits>
#include <string>
#include <vector>

#include "../prom/text_check.h"
#include "cpu_stat_row.h"
#include "netns_sockets.h"
#include "table_collector.h"
#include "table_families.h"
#include "table_text.h"

using namespace nfct;
using namespace nfct::test;

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Namespaces with 0 and 2^64-1 counters, attributes present on one CPU only, one that no
// name is known for (kMaxStatAttr), a namespace that could not be read between two that
// could, and the largest inode numbers.
std::vector<NetnsTable> edge_tables() {
  TableStats a;
  a.entries = 0;
  a.max_entries = std::numeric_limits<uint32_t>::max();
  a.ct_cpu = {row(0, {{CTA_STATS_FOUND, 0}, {CTA_STATS_DROP, kMax}, {CTA_STATS_INSERT, 0}}),
              row(1, {{CTA_STATS_FOUND, 3},
                      {CTA_STATS_DROP, 0},
                      {CTA_STATS_INSERT, 0},
                      {CTA_STATS_CHAIN_TOOLONG, (uint64_t{1} << 53) + 1}}),
              row(7, {{CTA_STATS_EARLY_DROP, 9999999999999999ull}, {kMaxStatAttr, 5}})};
  a.exp_cpu = {row(0, {{CTA_STATS_EXP_NEW, kMax}, {CTA_STATS_EXP_CREATE, 0}}),
               row(1, {{CTA_STATS_EXP_NEW, 0}, {CTA_STATS_EXP_DELETE, 6}})};
  a.expectations = kMax;
  TableStats b;  // no table size in the answer, no per-CPU rows at all
  b.expectations = 0;
  TableStats c;
  c.entries = 12;
  c.max_entries = 0;
  c.ct_cpu = {row(0, {{CTA_STATS_FOUND, 1}, {CTA_STATS_SEARCHED, 2}})};
  return {{4026531993u, a}, {2, std::nullopt}, {std::numeric_limits<uint64_t>::max(), b}, {1, c}};
}

std::string direct(const std::vector<NetnsTable>& t, bool per_cpu, uint64_t errors, double seconds) {
  std::string out;
  render_table_families(t, per_cpu, errors, seconds, out);
  return out;
}

std::string reference(const std::vector<NetnsTable>& t, bool per_cpu, uint64_t errors, double seconds) {
  return serialize(table_families(t, per_cpu, errors, seconds));
}

}  // namespace

TEST_CASE("table text equals the prometheus-cpp text: summed over CPUs and per CPU, edge values") {
  for (const bool per_cpu : {false, true}) {
    CAPTURE(per_cpu);
    const auto t = edge_tables();
    const std::string got = direct(t, per_cpu, kMax, 0.000123456789);
    check_same_text(got, reference(t, per_cpu, kMax, 0.000123456789));
    // The values as prometheus-cpp prints them, and what must not be there.
    CHECK(got.find("nfct_table_entries{netns=\"4026531993\"} 0\n") != std::string::npos);
    CHECK(got.find("nfct_table_max_entries{netns=\"4026531993\"} 4294967295\n") != std::string::npos);
    CHECK(got.find("nfct_expect_entries{netns=\"18446744073709551615\"} 0\n") != std::string::npos);
    CHECK(got.find("nfct_expect_entries{netns=\"4026531993\"} 1.844674407370955e+19\n") != std::string::npos);
    CHECK(got.find("nfct_table_read_success{netns=\"2\"} 0\n") != std::string::npos);
    CHECK(got.find("nfct_table_read_errors_total 1.844674407370955e+19\n") != std::string::npos);
    CHECK(got.find("nfct_table_read_duration_seconds 0.000123456789\n") != std::string::npos);
    CHECK(got.find("nfct_table_entries{netns=\"2\"}") == std::string::npos);
    CHECK(got.find("nfct_table_insert_failed_total") == std::string::npos);  // no row has it
    if (per_cpu) {
      CHECK(got.find("nfct_table_drop_total{netns=\"4026531993\",cpu=\"0\"} 1.844674407370955e+19\n") !=
            std::string::npos);
      CHECK(got.find("nfct_table_chaintoolong_total{netns=\"4026531993\",cpu=\"1\"} 9007199254740992\n") !=
            std::string::npos);
      CHECK(got.find("nfct_table_early_drop_total{netns=\"4026531993\",cpu=\"7\"} 1e+16\n") != std::string::npos);
    } else {
      // 2^64-1 + 0: no wrap in this sum; 2^53+1 printed as its double.
      CHECK(got.find("nfct_table_drop_total{netns=\"4026531993\"} 1.844674407370955e+19\n") != std::string::npos);
      CHECK(got.find("nfct_table_found_total{netns=\"4026531993\"} 3\n") != std::string::npos);
      CHECK(got.find("nfct_table_searched_total{netns=\"1\"} 2\n") != std::string::npos);
    }
  }
}

TEST_CASE("table text: nothing covered, and nothing readable") {
  check_same_text(direct({}, false, 0, 0), reference({}, false, 0, 0));
  const std::vector<NetnsTable> unread{{5, std::nullopt}, {6, std::nullopt}};
  check_same_text(direct(unread, true, 2, 1.5), reference(unread, true, 2, 1.5));
}

TEST_CASE("table text: appended to the page, the page's families before it untouched") {
  const auto t = edge_tables();
  std::string page = "# HELP x h\n# TYPE x gauge\nx 1\n";
  render_table_families(t, false, 0, 0, page);
  CHECK(page == "# HELP x h\n# TYPE x gauge\nx 1\n" + reference(t, false, 0, 0));
}

TEST_CASE("promtool check metrics accepts the table text") {
  if (!have_promtool()) {
    MESSAGE("promtool not installed: skipped (scripts/install-deps.sh --test installs it)");
    return;
  }
  for (const bool per_cpu : {false, true}) {
    auto [status, out] = promtool_check(direct(edge_tables(), per_cpu, 3, 0.25));
    CAPTURE(out);
    CHECK(status == 0);
  }
}

TEST_CASE("the table collector's text equals its families, and it never throws") {
  NetnsSockets sockets(
      [](const std::string&, uint64_t) -> Expected<std::unique_ptr<CtSocket>> { return Error{"cannot enter"}; },
      [](const std::string&, uint64_t) { return true; });
  TableCollector c([] { return NetnsMap{{5, "/x"}, {9, "/y"}}; }, sockets, {});
  std::string page = "# before\n";
  CHECK(c.CollectText(page).empty());  // everything written directly
  // Each scrape counts the two namespaces it could not read.
  const ParsedText got = parse_text(page.substr(9));
  const ParsedText ref = parse_text(serialize(c.Collect()));
  CHECK(page.rfind("# before\n", 0) == 0);
  auto without_duration = [](const ParsedText& p) {
    std::multiset<TextSample> s;
    for (const auto& x : p.samples)
      if (std::get<0>(x) != "nfct_table_read_duration_seconds") s.insert(x);
    return s;
  };
  auto set = without_duration(got);
  CHECK(set.count({"nfct_table_read_errors_total", {}, 2}) == 1);
  CHECK(set.count({"nfct_table_read_success", {{"netns", "9"}}, 0}) == 1);
  set.erase({"nfct_table_read_errors_total", {}, 2});
  auto ref_set = without_duration(ref);
  CHECK(ref_set.count({"nfct_table_read_errors_total", {}, 4}) == 1);
  ref_set.erase({"nfct_table_read_errors_total", {}, 4});
  CHECK(set == ref_set);
  CHECK(got.help == ref.help);

  // A collector that throws leaves the page as it was.
  TableCollector throwing([]() -> NetnsMap { throw std::runtime_error("boom"); }, sockets, {});
  std::string before = "# HELP x h\n# TYPE x gauge\nx 1\n", text = before;
  CHECK_NOTHROW(throwing.CollectText(text));
  CHECK(text == before);
}
