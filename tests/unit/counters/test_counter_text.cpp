// The direct text renderer of the counter families (counters/counter_text.h,
// prom/text_format.h) against the prometheus-cpp path it replaces, the /metrics page
// (http/metrics_page.h) and gzip (http/http_compress.h).
#include <doctest/doctest.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "connections_created.h"
#include "counter_aggregate.h"
#include "counter_text.h"
#include "http_compress.h"
#include "metric_families.h"
#include "metrics_page.h"
#include "nfct.h"
#include "../prom/text_check.h"
#include "text_collectable.h"
#include "text_format.h"

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

using nfct::test::have_promtool;
using nfct::test::parse_text;
using nfct::test::promtool_check;
using nfct::test::serialize;

// Aggregates with label values that need escaping and edge values.
nfct::Aggregates edge_aggregates() {
  nfct::Aggregates a;
  a.states[{1, 4026531840u, 0}] = {0, 0};
  a.states[{1, 4026531840u, 2}] = {kMax, kMax - 1};
  // Only named states: aggregate() drops the others before any renderer sees them.
  a.states[{2, 0xffffffffu, 4}] = {(uint64_t{1} << 53) - 1, uint64_t{1} << 53};
  a.states[{7, 1, 3}] = {12345, 9999999999999999ull};
  a.bits[{1, 4026531840u, 0}] = 1;
  a.bits[{1, 4026531840u, 15}] = kMax;
  a.bits[{2, 0xffffffffu, 3}] = 0;
  a.zones[{1, 4026531840u, 0, 3, 0}] = 0;
  a.zones[{1, 4026531840u, 65535, 2, 1}] = kMax;
  a.zones[{2, 0xffffffffu, 100, 1, 4}] = 42;
  a.zones[{2, 0xffffffffu, 100, 9, 4}] = 7;  // a direction without a name
  a.no_conntrack[{1, 4026531840u}] = {kMax, 0};
  a.no_conntrack[{7, 1}] = {3, 1500};
  return a;
}

// Connections created, with the edge values and a direction without a name.
nfct::CreatedConnections edge_created() {
  return {{{4026531840u, 0, 3}, 0}, {{4026531840u, 65535, 1}, kMax}, {{0xffffffffu, 100, 9}, 7},
          {{1, 7, 2}, (uint64_t{1} << 53) + 1}};
}

// Probe names that need escaping; probe 7 has none (the "index:7" fallback).
const nfct::ProbeNames kNames = {
    {1, "nf:ipv4:input"}, {2, "quote\" back\\slash new\nline"}, {3, "unused"}};

// A page as the old /metrics handler made it, from the same aggregates.
std::string prometheus_cpp_text(const nfct::Aggregates& a, const nfct::ProbeNames& names) {
  return serialize(nfct::counter_families(a, names));
}

// With `kept`, the label text of the last call with that `kept` is reused where it can be.
std::string direct_text(const nfct::Aggregates& a, const nfct::ProbeNames& names, nfct::CounterText* kept = nullptr) {
  std::string out;
  if (kept)
    nfct::render_counter_families(a, names, out, *kept);
  else
    nfct::render_counter_families(a, names, out);
  return out;
}

std::string gunzip(const std::string& gz) {
  z_stream s{};
  REQUIRE(inflateInit2(&s, 16 + MAX_WBITS) == Z_OK);
  std::string out;
  char buf[65536];
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    rc = inflate(&s, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - s.avail_out);
  } while (rc != Z_STREAM_END);
  CHECK(s.avail_in == 0);  // nothing after the gzip member
  inflateEnd(&s);
  return out;
}

}  // namespace

TEST_CASE("direct counter text equals the prometheus-cpp text, escapes and edge values included") {
  const auto a = edge_aggregates();
  const std::string expected = prometheus_cpp_text(a, kNames);
  const std::string got = direct_text(a, kNames);
  CAPTURE(got);
  // Same samples, parsed...
  const auto pe = parse_text(expected), pg = parse_text(got);
  CHECK(pg.sample_set() == pe.sample_set());
  CHECK(pg.samples.size() == a.states.size() * 2 + a.bits.size() + a.zones.size() + a.no_conntrack.size() * 2);
  for (const auto& [name, n] : pg.help) CHECK_MESSAGE(n == 1, name);
  for (const auto& [name, n] : pg.type) CHECK_MESSAGE(n == 1, name);
  CHECK(pg.type.size() == 6);
  // ...and the very same bytes, line order included.
  CHECK(got == expected);
  // The values the prometheus-cpp path printed for the edge cases.
  CHECK(got.find(R"(nfct_packets_total{probe="nf:ipv4:input",netns="4026531840",state="new"} 1.844674407370955e+19)") !=
        std::string::npos);
  CHECK(got.find(R"(nfct_packets_total{probe="nf:ipv4:input",netns="4026531840",state="established"} 0)") !=
        std::string::npos);
  CHECK(got.find(R"(probe="quote\" back\\slash new\nline",netns="4294967295",zone="100",direction="9",state="related_reply"} 7)") !=
        std::string::npos);
  CHECK(got.find(R"(nfct_no_conntrack_bytes_total{probe="index:7",netns="1"} 1500)") != std::string::npos);
}

TEST_CASE("direct counter text: keys come and go between scrapes, the buffer is appended to") {
  auto a = edge_aggregates();
  nfct::CounterText kept;  // as the collector keeps it from scrape to scrape
  std::string page = "# previous families\n";
  nfct::render_counter_families(a, kNames, page, kept);
  CHECK(page == "# previous families\n" + prometheus_cpp_text(a, kNames));
  // The next scrape: the same series with new values (the kept label text is reused).
  a.zones[{1, 4026531840u, 0, 3, 0}] = 17;
  a.states[{7, 1, 3}].bytes += 1;
  CHECK(direct_text(a, kNames, &kept) == prometheus_cpp_text(a, kNames));
  CHECK(kept.zones.size() == a.zones.size());

  // A namespace purged: its series go.
  a.states.erase_if([](const auto& kv) { return std::get<1>(kv.first) == 0xffffffffu; });
  a.bits.erase_if([](const auto& kv) { return std::get<1>(kv.first) == 0xffffffffu; });
  a.zones.erase_if([](const auto& kv) { return std::get<1>(kv.first) == 0xffffffffu; });
  a.zones[{1, 4026531840u, 77, 1, 2}] = 5;  // and a new zone
  a.states[{1, 4026531840u, 2}].packets = 3;
  CHECK(direct_text(a, kNames, &kept) == prometheus_cpp_text(a, kNames));
  CHECK(direct_text(a, kNames, &kept).find("4294967295") == std::string::npos);

  // Nothing at all: every family still has its HELP and TYPE, as prometheus-cpp prints them.
  nfct::Aggregates empty;
  CHECK(direct_text(empty, kNames, &kept) == prometheus_cpp_text(empty, kNames));
  CHECK(direct_text(edge_aggregates(), kNames, &kept) == prometheus_cpp_text(edge_aggregates(), kNames));
}

TEST_CASE("direct counter text follows a change of probe names") {
  const auto a = edge_aggregates();
  nfct::CounterText kept;
  CHECK(direct_text(a, kNames, &kept) == prometheus_cpp_text(a, kNames));
  nfct::ProbeNames renamed = kNames;
  renamed[1] = "nf:ipv6:input";
  renamed[7] = "tp:net:netif_receive_skb";
  // The same keys: only the names changed, and the kept text must not be reused.
  CHECK(direct_text(a, renamed, &kept) == prometheus_cpp_text(a, renamed));
}

TEST_CASE("connections created: direct text equals the prometheus-cpp text") {
  const auto c = edge_created();
  std::string got;
  nfct::render_created_connections(c, got);
  const std::string expected = serialize({nfct::created_connections_family(c)});
  CAPTURE(got);
  CHECK(parse_text(got).sample_set() == parse_text(expected).sample_set());
  CHECK(got == expected);
  CHECK(got.find(R"(nfct_connections_created_total{netns="4026531840",zone="65535",direction="original"} 1.844674407370955e+19)") !=
        std::string::npos);
  CHECK(got.find(R"(nfct_connections_created_total{netns="4294967295",zone="100",direction="9"} 7)") != std::string::npos);
  std::string empty;
  nfct::render_created_connections({}, empty);
  CHECK(empty == serialize({nfct::created_connections_family({})}));
  // With kept label text: the same keys with new values, then a key more.
  nfct::KeptLabels<nfct::CreatedKey> kept;
  auto d = edge_created();
  for (int round = 0; round < 3; round++) {
    std::string text;
    nfct::render_created_connections(d, text, kept);
    CHECK(text == serialize({nfct::created_connections_family(d)}));
    if (round == 0) d[{1, 7, 2}] += 1;
    if (round == 1) d[{2, 0, 1}] = 4;
  }
}

TEST_CASE("numbers are printed as prometheus-cpp prints them") {
  const std::vector<double> doubles = {0, 1, -1, 0.1, 1e-7, 2.5e-5, 0.001234, 123456789012345678.0, 1e16,
                                       9999999999999998.0, 1e15 + 0.5, 0.0001234567890123456789,
                                       std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min(),
                                       NAN, INFINITY, -INFINITY};
  const std::vector<uint64_t> ints = {0, 1, 10, 999999, (uint64_t{1} << 53) - 1, uint64_t{1} << 53,
                                      (uint64_t{1} << 53) + 1, 9999999999999999ull, 10000000000000000ull,
                                      123456789012345678ull, kMax - 1, kMax};
  prometheus::MetricFamily f;
  f.name = "x";
  f.help = "h";
  f.type = prometheus::MetricType::Gauge;
  std::string expected_values, got_values;
  for (double d : doubles) nfct::add_sample(f, {}, d);
  for (uint64_t v : ints) nfct::add_sample(f, {}, static_cast<double>(v));
  for (double d : doubles) {
    got_values += "x ";
    nfct::text::append_value(got_values, d);
    got_values += '\n';
  }
  for (uint64_t v : ints) {
    got_values += "x ";
    nfct::text::append_value(got_values, v);
    got_values += '\n';
  }
  std::string header;
  nfct::text::append_family_header(header, "x", "h", "gauge");
  CHECK(header + got_values == serialize({f}));
}

TEST_CASE("label values: backslash, quote and newline escaped, everything else as is") {
  std::string out;
  nfct::text::append_label_value(out, "a\"b\\c\nd\te\xc3\xa9{}=,");
  CHECK(out == "a\\\"b\\\\c\\nd\te\xc3\xa9{}=,");
  out.clear();
  nfct::text::append_label_value(out, "");
  CHECK(out.empty());
}

TEST_CASE("promtool check metrics accepts the direct counter text") {
  if (!have_promtool()) {
    MESSAGE("promtool not installed: skipped (scripts/install-deps.sh --test installs it)");
    return;
  }
  std::string page = direct_text(edge_aggregates(), kNames);
  nfct::render_created_connections(edge_created(), page);
  auto [status, out] = promtool_check(page);
  CAPTURE(out);
  CHECK(status == 0);
}

namespace {

// A collectable with direct text and prometheus-cpp families, like ConntrackCollector.
class FakeDirect : public prometheus::Collectable, public nfct::TextCollectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    auto f = nfct::counter_families(edge_aggregates(), kNames);
    f.push_back(nfct::created_connections_family(edge_created()));
    for (auto& s : self()) f.push_back(std::move(s));
    return f;
  }
  std::vector<prometheus::MetricFamily> CollectText(std::string& text) const override {
    nfct::render_counter_families(edge_aggregates(), kNames, text);
    nfct::render_created_connections(edge_created(), text);
    return self();
  }

 private:
  static std::vector<prometheus::MetricFamily> self() {
    nfct::SelfStats s;
    s.map_entries = 13;
    s.map_max_entries = 65536;
    s.collect_seconds = 0.00125;
    return nfct::self_families(s);
  }
};

}  // namespace

TEST_CASE("the /metrics page: direct and prometheus-cpp families once each, then the scrape duration") {
  auto direct = std::make_shared<FakeDirect>();
  auto build = std::make_shared<nfct::StaticFamilies>(nfct::build_info_family("1.0", "abc\"def", "1.1"));
  nfct::MetricsPage page({direct, build});
  std::string text;
  page.render(text);
  CAPTURE(text);
  const auto p = parse_text(text);
  for (const auto& [name, n] : p.help) CHECK_MESSAGE(n == 1, name);
  for (const auto& [name, n] : p.type) CHECK_MESSAGE(n == 1, name);
  CHECK(p.help.size() == p.type.size());
  // The same samples as the whole prometheus-cpp path, plus the scrape duration.
  std::vector<prometheus::MetricFamily> all = direct->Collect();
  for (auto& f : build->Collect()) all.push_back(std::move(f));
  auto expected = parse_text(serialize(all)).sample_set();
  auto got = p.sample_set();
  REQUIRE(!p.samples.empty());
  const nfct::test::TextSample& last = p.samples.back();
  CHECK(std::get<0>(last) == nfct::kScrapeDurationName);
  CHECK(std::get<2>(last) > 0);
  CHECK(std::get<2>(last) < 10);
  got.erase(got.find(last));
  CHECK(got == expected);
  // Rendering again reuses the buffer and gives the same samples (the duration aside).
  std::string again = text;
  page.render(again);
  auto p2 = parse_text(again);
  p2.samples.pop_back();
  CHECK(p2.sample_set() == expected);

  if (have_promtool()) {
    auto [status, out] = promtool_check(text);
    CAPTURE(out);
    CHECK(status == 0);
  }
}

TEST_CASE("Accept-Encoding: gzip when allowed") {
  CHECK(nfct::accepts_gzip("gzip"));
  CHECK(nfct::accepts_gzip("GZIP"));
  CHECK(nfct::accepts_gzip("x-gzip"));
  CHECK(nfct::accepts_gzip("identity, gzip"));
  CHECK(nfct::accepts_gzip("deflate, gzip;q=0.5"));
  CHECK(nfct::accepts_gzip("gzip ; q=1.000"));
  CHECK(nfct::accepts_gzip("*"));
  CHECK(nfct::accepts_gzip("br, *;q=0.1"));
  CHECK(nfct::accepts_gzip("gzip, deflate, br"));  // what Prometheus and curl --compressed send
  CHECK_FALSE(nfct::accepts_gzip(nullptr));
  CHECK_FALSE(nfct::accepts_gzip(""));
  CHECK_FALSE(nfct::accepts_gzip("identity"));
  CHECK_FALSE(nfct::accepts_gzip("deflate, br"));
  CHECK_FALSE(nfct::accepts_gzip("gzip;q=0"));
  CHECK_FALSE(nfct::accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(nfct::accepts_gzip("*;q=0"));
  CHECK_FALSE(nfct::accepts_gzip("*, gzip;q=0"));  // gzip named: its own q counts
  CHECK_FALSE(nfct::accepts_gzip("gzipx"));
  CHECK_FALSE(nfct::accepts_gzip("gzip;q=abc"));  // malformed entry ignored
  CHECK_FALSE(nfct::accepts_gzip("gzip;q=2"));
  CHECK_FALSE(nfct::accepts_gzip(",,;;,"));
}

TEST_CASE("gzip output decompresses to the input, buffer reused") {
  nfct::GzipCompressor c;
  const std::string text = direct_text(edge_aggregates(), kNames);
  std::string gz;
  c.compress(text, gz);
  REQUIRE(gz.size() > 18);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gunzip(gz) == text);
  c.compress("", gz);
  CHECK(gunzip(gz).empty());
  std::string big;
  for (int i = 0; i < 20000; i++) big += text;
  c.compress(big, gz);
  CHECK(gz.size() < big.size() / 10);
  CHECK(gunzip(gz) == big);
  // Incompressible input does not fit the first, small output buffer: the second try
  // with the worst-case bound takes it.
  std::string noise(200000, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& ch : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ch = static_cast<char>(x);
  }
  c.compress(noise, gz);
  CHECK(gz.size() > noise.size());
  CHECK(gunzip(gz) == noise);
}
