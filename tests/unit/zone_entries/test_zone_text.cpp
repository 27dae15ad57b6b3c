// The per-zone entry families written straight to text (zone_entries/zone_text.h)
// against the prometheus-cpp families they replace on the page (zone_families.h).
//
// Their label values are inode and zone numbers and the fixed names of zone directions,
// protocols and TCP states (numbers for those without a name), so none can need escaping;
// the edge cases are the values, unnamed codes and namespaces without a complete dump.
#include <doctest/doctest.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <limits>
#include <string>

#include "../prom/text_check.h"
#include "netns_sockets.h"
#include "zone_collector.h"
#include "zone_families.h"
#include "zone_text.h"

using namespace nfct;
using namespace nfct::test;

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

ZoneStatus edge_status() {
  ZoneStatus s;
  s.dumps = kMax;
  s.timeouts = 0;
  s.errors = (uint64_t{1} << 53) + 1;
  ZoneDump& a = s.netns[4026531993u];
  a.counts.by_key[{0, 3, IPPROTO_UDP, kNoTcpState}] = 0;
  a.counts.by_key[{65535, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED}] = kMax;
  a.counts.by_key[{7, 2, IPPROTO_TCP, 200}] = 1;  // a TCP state without a name
  a.counts.by_key[{7, 9, 253, kNoTcpState}] = 2;  // a direction and protocol without one
  a.counts.by_key[{7, 0, IPPROTO_ICMPV6, kNoTcpState}] = 9999999999999999ull;
  a.counts.entries = kMax;
  a.counts.unlabeled = 0;
  a.duration_seconds = 0.000123456789;
  a.last_success_unix = 1764650000.123456;
  ZoneDump& never = s.netns[1];  // no complete dump yet: only its duration
  never.duration_seconds = 10;
  ZoneDump& b = s.netns[std::numeric_limits<uint64_t>::max()];
  b.counts.entries = 0;
  b.duration_seconds = 0;
  b.last_success_unix = 1764650100;  // after "now": the age is 0, not negative
  return s;
}

std::string direct(const ZoneStatus& s, double now) {
  std::string out;
  render_zone_families(s, now, out);
  return out;
}

constexpr double kNow = 1764650042.5;

}  // namespace

TEST_CASE("zone text equals the prometheus-cpp text, edge values included") {
  const auto s = edge_status();
  const std::string got = direct(s, kNow);
  check_same_text(got, serialize(zone_families(s, kNow)));
  CHECK(got.find("nfct_zone_entries{netns=\"4026531993\",zone=\"65535\",direction=\"original\",protocol=\"tcp\","
                 "tcp_state=\"established\"} 1.844674407370955e+19\n") != std::string::npos);
  CHECK(got.find("nfct_zone_entries{netns=\"4026531993\",zone=\"0\",direction=\"default\",protocol=\"udp\","
                 "tcp_state=\"\"} 0\n") != std::string::npos);
  CHECK(got.find("nfct_zone_entries{netns=\"4026531993\",zone=\"7\",direction=\"9\",protocol=\"253\","
                 "tcp_state=\"\"} 2\n") != std::string::npos);
  CHECK(got.find("tcp_state=\"200\"} 1\n") != std::string::npos);
  CHECK(got.find("nfct_zone_dump_age_seconds{netns=\"18446744073709551615\"} 0\n") != std::string::npos);
  CHECK(got.find("nfct_zone_dump_last_success_timestamp_seconds{netns=\"4026531993\"} 1764650000.123456\n") !=
        std::string::npos);
  CHECK(got.find("nfct_zone_dump_duration_seconds{netns=\"1\"} 10\n") != std::string::npos);
  CHECK(got.find("nfct_zone_dump_entries{netns=\"1\"}") == std::string::npos);
  CHECK(got.find("nfct_zone_dumps_total 1.844674407370955e+19\n") != std::string::npos);
  CHECK(got.find("nfct_zone_dump_errors_total{reason=\"error\"} 9007199254740992\n") != std::string::npos);
}

TEST_CASE("zone text: no namespace yet, appended to the page") {
  const ZoneStatus empty;
  check_same_text(direct(empty, kNow), serialize(zone_families(empty, kNow)));
  std::string page = "# HELP x h\n# TYPE x gauge\nx 1\n";
  render_zone_families(edge_status(), kNow, page);
  CHECK(page == "# HELP x h\n# TYPE x gauge\nx 1\n" + serialize(zone_families(edge_status(), kNow)));
}

TEST_CASE("promtool check metrics accepts the zone text") {
  if (!have_promtool()) {
    MESSAGE("promtool not installed: skipped (scripts/install-deps.sh --test installs it)");
    return;
  }
  auto [status, out] = promtool_check(direct(edge_status(), kNow));
  CAPTURE(out);
  CHECK(status == 0);
}

TEST_CASE("the zone collector writes its families directly, the same samples as Collect()") {
  // One namespace whose socket cannot be opened: a failed dump, its duration shown.
  NetnsSockets sockets(
      [](const std::string&, uint64_t) -> Expected<std::unique_ptr<CtSocket>> { return Error{"cannot enter"}; },
      [](const std::string&, uint64_t) { return true; });
  ZoneDumper dumper([] { return NetnsMap{{5, "/x"}}; }, sockets, {});
  dumper.run_once();
  ZoneCollector c(dumper);
  std::string page = "# HELP x h\n# TYPE x gauge\nx 1\n";
  CHECK(c.CollectText(page).empty());  // everything written directly
  const ParsedText got = parse_text(page);
  auto want = parse_text(serialize(c.Collect())).sample_set();
  want.insert({"x", {}, 1});
  CHECK(got.sample_set() == want);
  CHECK(got.sample_set().count({"nfct_zone_dump_errors_total", {{"reason", "error"}}, 1}) == 1);
  CHECK(got.sample_set().count({"nfct_zone_dumps_total", {}, 1}) == 1);
  CHECK(got.samples.size() == 5);  // x, the duration of netns 5, dumps, errors by reason
}
