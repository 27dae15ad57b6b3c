// The zone aggregation and the metric families of the per-zone entry counts.
#include <doctest/doctest.h>

#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <map>
#include <string>

#include "../family_lookup.h"
#include "zone_dump.h"
#include "zone_families.h"

using namespace nfct;
using namespace nfct::test;

TEST_CASE("zone aggregation is bounded by the series limit") {
  ZoneAggregator agg(2);
  CtEntryKey a{7, 3, IPPROTO_UDP, kNoTcpState}, b{0, 3, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED},
      c{9, 1, IPPROTO_UDP, kNoTcpState};
  agg.add(a);
  agg.add(b);
  agg.add(a);
  agg.add(c);  // a third series: counted unlabeled
  agg.add(c);
  agg.add(b);
  CHECK(agg.counts().entries == 6);
  CHECK(agg.counts().unlabeled == 2);
  CHECK(agg.counts().by_key.size() == 2);
  CHECK(agg.counts().by_key.at(a) == 2);
  CHECK(agg.counts().by_key.at(b) == 2);
  const ZoneCounts taken = agg.take();
  CHECK(taken.entries == 6);
  CHECK(taken.by_key.at(a) == 2);
}

TEST_CASE("zone families") {
  ZoneStatus s;
  s.dumps = 5;
  s.timeouts = 1;
  s.errors = 2;
  ZoneDump& d = s.netns[11];
  d.counts.by_key[{7, 3, IPPROTO_UDP, kNoTcpState}] = 3;
  d.counts.by_key[{7, 3, IPPROTO_TCP, TCP_CONNTRACK_TIME_WAIT}] = 2;
  d.counts.by_key[{9, 1, IPPROTO_ICMP, kNoTcpState}] = 1;
  d.counts.entries = 7;
  d.counts.unlabeled = 1;
  d.duration_seconds = 0.5;
  d.last_success_unix = 1000;
  ZoneDump& never = s.netns[12];  // no complete dump yet
  never.duration_seconds = 10;

  Families fs = zone_families(s, 1004);
  auto ns = [](const char* n) { return std::map<std::string, std::string>{{"netns", n}}; };
  CHECK(value(fs, "nfct_zone_entries",
              {{"netns", "11"}, {"zone", "7"}, {"direction", "default"}, {"protocol", "udp"}, {"tcp_state", ""}}) == 3);
  CHECK(value(fs, "nfct_zone_entries",
              {{"netns", "11"}, {"zone", "7"}, {"direction", "default"}, {"protocol", "tcp"},
               {"tcp_state", "time_wait"}}) == 2);
  CHECK(value(fs, "nfct_zone_entries",
              {{"netns", "11"}, {"zone", "9"}, {"direction", "original"}, {"protocol", "icmp"},
               {"tcp_state", ""}}) == 1);
  CHECK(find(fs, "nfct_zone_entries")->metric.size() == 3);
  CHECK(value(fs, "nfct_zone_dump_entries", ns("11")) == 7);
  CHECK(value(fs, "nfct_zone_unlabeled_entries", ns("11")) == 1);
  CHECK(value(fs, "nfct_zone_dump_duration_seconds", ns("11")) == 0.5);
  CHECK(value(fs, "nfct_zone_dump_last_success_timestamp_seconds", ns("11")) == 1000);
  CHECK(value(fs, "nfct_zone_dump_age_seconds", ns("11")) == 4);
  CHECK(value(fs, "nfct_zone_dump_duration_seconds", ns("12")) == 10);
  CHECK(value(fs, "nfct_zone_dump_age_seconds", ns("12")) == -1);
  CHECK(value(fs, "nfct_zone_dumps_total", {}) == 5);
  CHECK(value(fs, "nfct_zone_dump_errors_total", {{"reason", "timeout"}}) == 1);
  CHECK(value(fs, "nfct_zone_dump_errors_total", {{"reason", "error"}}) == 2);
  for (const auto& f : fs)
    if (f.type == prometheus::MetricType::Counter) CHECK(f.name.ends_with("_total"));
}
