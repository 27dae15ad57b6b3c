// Counter aggregation and metric families (exporter/counter_aggregate.h,
// counter_reader.h sum_percpu, metric_families.h).
#include <doctest/doctest.h>

#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "counter_aggregate.h"
#include "counter_reader.h"
#include "metric_families.h"
#include "nfct.h"
#include "probe.h"

using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

constexpr uint32_t kNsA = 4026531840u;  // the initial namespace's usual inode
constexpr uint32_t kNsB = 4026532999u;
const std::string kA = "4026531840";
const std::string kB = "4026532999";

// Probe indexes as the BPF programs report them.
constexpr uint8_t kV4Input = 1;   // nf:ipv4:input
constexpr uint8_t kV6Input = 6;   // nf:ipv6:input
constexpr uint8_t kTp = 10;       // the first tracepoint

constexpr uint8_t kEstablished = 0, kRelated = 1, kNew = 2, kReply = 3, kRelatedReply = 4,
                  kUntracked = NFCT_STATE_UNTRACKED, kNoCt = NFCT_STATE_NO_CT;
constexpr uint8_t kDirNone = 0, kDirOriginal = 1, kDirDefault = 3;

// One map entry; `bits` are the status bits of its key (every packet of it has them).
nfct::CounterEntry entry(uint8_t probe, uint32_t netns, uint16_t zone, uint8_t dir, uint8_t state,
                         uint64_t packets, uint64_t bytes, std::initializer_list<int> bits = {}) {
  nfct::CounterEntry e{};
  e.key.probe = probe;
  e.key.netns = netns;
  e.key.zone = zone;
  e.key.zone_dir = dir;
  e.key.state = state;
  for (int bit : bits) e.key.status |= static_cast<uint16_t>(1u << bit);
  e.value.packets = packets;
  e.value.bytes = bytes;
  return e;
}

std::vector<nfct::CounterEntry> sample_entries() {
  return {
      // 10 established packets: 8 with bits 1, 2, 3 and 2 with bits 1, 3 (two keys).
      entry(kV4Input, kNsA, 0, kDirNone, kEstablished, 8, 800, {1, 2, 3}),
      entry(kV4Input, kNsA, 0, kDirNone, kEstablished, 2, 200, {1, 3}),
      // 4 in zone 5: 2 with bits 3, 4, 7 and 2 with bit 3.
      entry(kV4Input, kNsA, 5, kDirDefault, kEstablished, 2, 200, {3, 4, 7}),
      entry(kV4Input, kNsA, 5, kDirDefault, kEstablished, 2, 200, {3}),
      entry(kV4Input, kNsA, 0, kDirNone, kNew, 3, 180),  // unconfirmed: no bits
      entry(kV4Input, kNsA, 0, kDirNone, kUntracked, 2, 100),
      entry(kV4Input, kNsA, 0, kDirNone, kNoCt, 6, 600),
      entry(kV4Input, kNsA, 0, kDirNone, kRelatedReply, 1, 90, {3}),
      entry(kV4Input, kNsA, 0, kDirNone, 5, 9, 900),  // IP_CT_NEW_REPLY: never set by the kernel
      entry(kV4Input, kNsB, 0, kDirNone, kEstablished, 5, 500, {3}),
      entry(kV6Input, kNsB, 0, kDirNone, kReply, 7, 700, {1, 3}),
      entry(kV6Input, kNsB, 0, kDirNone, kNoCt, 2, 150),
      entry(kTp, kNsA, 2, kDirOriginal, kRelated, 1, 60, {0, 15}),
  };
}

const nfct::ProbeNames kNames = {
    {kV4Input, "nf:ipv4:input"}, {kV6Input, "nf:ipv6:input"}, {kTp, "tp:net:net_dev_start_xmit"}};

using LabelList = std::vector<std::pair<std::string, std::string>>;

LabelList labels_of(const prometheus::ClientMetric& m) {
  LabelList out;
  for (const auto& l : m.label) out.emplace_back(l.name, l.value);
  return out;
}

const MetricFamily& family(const std::vector<MetricFamily>& fams, const std::string& name) {
  for (const auto& f : fams)
    if (f.name == name) return f;
  FAIL("no metric family " << name);
  throw;  // unreachable
}

bool has_family(const std::vector<MetricFamily>& fams, const std::string& name) {
  for (const auto& f : fams)
    if (f.name == name) return true;
  return false;
}

// The value of the one series with exactly these labels, in this order; NaN when there
// is none, and a failed check when there are several.
double value(const MetricFamily& f, const LabelList& labels) {
  double v = NAN;
  int found = 0;
  for (const auto& m : f.metric)
    if (labels_of(m) == labels) {
      found++;
      v = f.type == MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  CHECK_MESSAGE(found <= 1, f.name << " has " << found << " series with the same labels");
  return v;
}

bool has_series(const MetricFamily& f, const LabelList& labels) { return !std::isnan(value(f, labels)); }

std::vector<std::string> label_names(const MetricFamily& f) {
  std::set<std::vector<std::string>> sets;
  for (const auto& m : f.metric) {
    std::vector<std::string> names;
    for (const auto& l : m.label) names.push_back(l.name);
    sets.insert(names);
  }
  CHECK_MESSAGE(sets.size() <= 1, f.name << " has series with different label names");
  return sets.empty() ? std::vector<std::string>{} : *sets.begin();
}

bool valid_metric_name(const std::string& n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':'))
      return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The rules `promtool check metrics` and the interface apply to every family.
void check_family_conventions(const std::vector<MetricFamily>& fams) {
  std::set<std::string> names;
  for (const auto& f : fams) {
    CAPTURE(f.name);
    CHECK(names.insert(f.name).second);  // unique
    CHECK(valid_metric_name(f.name));
    CHECK(f.name.rfind("nfct_", 0) == 0);
    CHECK_FALSE(f.help.empty());
    CHECK((f.type == MetricType::Counter || f.type == MetricType::Gauge));
    if (f.type == MetricType::Counter)
      CHECK(ends_with(f.name, "_total"));
    else
      CHECK_FALSE(ends_with(f.name, "_total"));
    std::set<LabelList> series;
    for (const auto& m : f.metric) {
      CHECK(series.insert(labels_of(m)).second);  // no duplicate series
      std::set<std::string> label_names;
      for (const auto& l : m.label) {
        CHECK(valid_metric_name(l.name));
        CHECK(l.name.find(':') == std::string::npos);
        CHECK(l.name.rfind("__", 0) != 0);
        CHECK(label_names.insert(l.name).second);
      }
    }
  }
}

}  // namespace

TEST_SUITE("metrics") {

TEST_CASE("sum_percpu adds every field over every CPU") {
  nfct_value percpu[4]{};
  for (int c = 0; c < 4; c++) {
    percpu[c].packets = 1u + c;              // 1 2 3 4
    percpu[c].bytes = 100u * (c + 1);        // 100 200 300 400
  }
  nfct_value s = nfct::sum_percpu(percpu, 4);
  CHECK(s.packets == 10);
  CHECK(s.bytes == 1000);

  // Only the first ncpus values count.
  nfct_value s2 = nfct::sum_percpu(percpu, 2);
  CHECK(s2.packets == 3);
  CHECK(s2.bytes == 300);

  nfct_value one = nfct::sum_percpu(percpu + 3, 1);
  CHECK(one.packets == 4);
  CHECK(one.bytes == 400);

  nfct_value none = nfct::sum_percpu(percpu, 0);
  CHECK(none.packets == 0);
  CHECK(none.bytes == 0);

  // 64-bit counters do not get truncated.
  nfct_value big[2]{};
  big[0].bytes = 1ull << 40;
  big[1].bytes = 1ull << 40;
  big[0].packets = 0xffffffffull;
  big[1].packets = 1;
  nfct_value b = nfct::sum_percpu(big, 2);
  CHECK(b.bytes == 1ull << 41);
  CHECK(b.packets == 0x100000000ull);
}

TEST_CASE("aggregate: states, status bits, zones and packets without conntrack") {
  nfct::Aggregates a = nfct::aggregate(sample_entries());

  using S = std::tuple<uint8_t, uint32_t, uint8_t>;
  REQUIRE(a.states.size() == 7);
  // Summed over zones: 10 + 4 packets, 1000 + 400 bytes.
  CHECK(a.states.at(S{kV4Input, kNsA, kEstablished}).packets == 14);
  CHECK(a.states.at(S{kV4Input, kNsA, kEstablished}).bytes == 1400);
  CHECK(a.states.at(S{kV4Input, kNsA, kNew}).packets == 3);
  CHECK(a.states.at(S{kV4Input, kNsA, kUntracked}).packets == 2);
  CHECK(a.states.at(S{kV4Input, kNsA, kUntracked}).bytes == 100);
  CHECK(a.states.at(S{kV4Input, kNsA, kRelatedReply}).bytes == 90);
  CHECK(a.states.at(S{kV4Input, kNsB, kEstablished}).packets == 5);
  CHECK(a.states.at(S{kV6Input, kNsB, kReply}).bytes == 700);
  CHECK(a.states.at(S{kTp, kNsA, kRelated}).packets == 1);
  CHECK(a.states.count(S{kV4Input, kNsA, kNoCt}) == 0);
  CHECK(a.states.count(S{kV4Input, kNsA, 5}) == 0);

  // Status bits: summed over zones and states, zero counters left out.
  using B = std::tuple<uint8_t, uint32_t, uint8_t>;
  const std::map<B, uint64_t> bits = {
      {{kV4Input, kNsA, 1}, 10}, {{kV4Input, kNsA, 2}, 8}, {{kV4Input, kNsA, 3}, 15},
      {{kV4Input, kNsA, 4}, 2},  {{kV4Input, kNsA, 7}, 2}, {{kV4Input, kNsB, 3}, 5},
      {{kV6Input, kNsB, 1}, 7},  {{kV6Input, kNsB, 3}, 7}, {{kTp, kNsA, 0}, 1},
      {{kTp, kNsA, 15}, 1}};
  CHECK(a.bits == bits);

  // Zones: no untracked packets and none without conntrack.
  using Z = std::tuple<uint8_t, uint32_t, uint16_t, uint8_t, uint8_t>;
  const std::map<Z, uint64_t> zones = {
      {{kV4Input, kNsA, 0, kDirNone, kEstablished}, 10},
      {{kV4Input, kNsA, 5, kDirDefault, kEstablished}, 4},
      {{kV4Input, kNsA, 0, kDirNone, kNew}, 3},
      {{kV4Input, kNsA, 0, kDirNone, kRelatedReply}, 1},
      {{kV4Input, kNsB, 0, kDirNone, kEstablished}, 5},
      {{kV6Input, kNsB, 0, kDirNone, kReply}, 7},
      {{kTp, kNsA, 2, kDirOriginal, kRelated}, 1}};
  CHECK(a.zones == zones);

  REQUIRE(a.no_conntrack.size() == 2);
  CHECK(a.no_conntrack.at({kV4Input, kNsA}).packets == 6);
  CHECK(a.no_conntrack.at({kV4Input, kNsA}).bytes == 600);
  CHECK(a.no_conntrack.at({kV6Input, kNsB}).packets == 2);
  CHECK(a.no_conntrack.at({kV6Input, kNsB}).bytes == 150);

  CHECK(a.unknown_state_packets == 9);
}

TEST_CASE("aggregate of nothing is empty") {
  nfct::Aggregates a = nfct::aggregate({});
  CHECK(a.states.empty());
  CHECK(a.bits.empty());
  CHECK(a.zones.empty());
  CHECK(a.no_conntrack.empty());
  CHECK(a.unknown_state_packets == 0);
  for (const auto& f : nfct::counter_families(a, kNames)) {
    CAPTURE(f.name);
    CHECK(f.metric.empty());
  }
}

TEST_CASE("counter families: names, types, label sets and values") {
  auto fams = nfct::counter_families(nfct::aggregate(sample_entries()), kNames);
  check_family_conventions(fams);

  const auto& packets = family(fams, "nfct_packets_total");
  const auto& bytes = family(fams, "nfct_bytes_total");
  const auto& status = family(fams, "nfct_status_packets_total");
  const auto& zones = family(fams, "nfct_zone_packets_total");
  for (const auto* f : {&packets, &bytes, &status, &zones}) {
    CAPTURE(f->name);
    CHECK(f->type == MetricType::Counter);
  }
  CHECK(label_names(packets) == std::vector<std::string>{"probe", "netns", "state"});
  CHECK(label_names(bytes) == std::vector<std::string>{"probe", "netns", "state"});
  CHECK(label_names(status) == std::vector<std::string>{"probe", "netns", "bit"});
  CHECK(label_names(zones) == std::vector<std::string>{"probe", "netns", "zone", "direction", "state"});

  // nfct_packets_total / nfct_bytes_total
  CHECK(packets.metric.size() == 7);
  CHECK(bytes.metric.size() == 7);
  CHECK(value(packets, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"state", "established"}}) == 14);
  CHECK(value(bytes, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"state", "established"}}) == 1400);
  CHECK(value(packets, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"state", "new"}}) == 3);
  CHECK(value(bytes, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"state", "new"}}) == 180);
  CHECK(value(packets, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"state", "untracked"}}) == 2);
  CHECK(value(packets, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"state", "related_reply"}}) == 1);
  CHECK(value(packets, {{"probe", "nf:ipv4:input"}, {"netns", kB}, {"state", "established"}}) == 5);
  CHECK(value(packets, {{"probe", "nf:ipv6:input"}, {"netns", kB}, {"state", "reply"}}) == 7);
  CHECK(value(bytes, {{"probe", "nf:ipv6:input"}, {"netns", kB}, {"state", "reply"}}) == 700);
  CHECK(value(packets, {{"probe", "tp:net:net_dev_start_xmit"}, {"netns", kA}, {"state", "related"}}) == 1);
  CHECK(value(bytes, {{"probe", "tp:net:net_dev_start_xmit"}, {"netns", kA}, {"state", "related"}}) == 60);
  // No series for a state that was not seen, nor for "no conntrack" packets.
  CHECK_FALSE(has_series(packets, {{"probe", "nf:ipv6:input"}, {"netns", kB}, {"state", "new"}}));
  for (const auto& m : packets.metric) {
    const std::string state = m.label.at(2).value;
    CHECK(std::set<std::string>{"new", "established", "related", "reply", "related_reply", "untracked"}.count(
              state) == 1);
  }

  // nfct_status_packets_total: summed over zones and states.
  CHECK(status.metric.size() == 10);
  CHECK(value(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "confirmed"}}) == 15);
  CHECK(value(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "seen_reply"}}) == 10);
  CHECK(value(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "assured"}}) == 8);
  CHECK(value(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "src_nat"}}) == 2);
  CHECK(value(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "src_nat_done"}}) == 2);
  CHECK(value(status, {{"probe", "nf:ipv4:input"}, {"netns", kB}, {"bit", "confirmed"}}) == 5);
  CHECK(value(status, {{"probe", "nf:ipv6:input"}, {"netns", kB}, {"bit", "confirmed"}}) == 7);
  CHECK(value(status, {{"probe", "tp:net:net_dev_start_xmit"}, {"netns", kA}, {"bit", "expected"}}) == 1);
  CHECK(value(status, {{"probe", "tp:net:net_dev_start_xmit"}, {"netns", kA}, {"bit", "hw_offload"}}) == 1);
  // Zero counters produce no series.
  CHECK_FALSE(has_series(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "dying"}}));
  CHECK_FALSE(has_series(status, {{"probe", "nf:ipv4:input"}, {"netns", kA}, {"bit", "dst_nat"}}));
  CHECK_FALSE(has_series(status, {{"probe", "nf:ipv6:input"}, {"netns", kB}, {"bit", "assured"}}));

  // nfct_zone_packets_total: no untracked, no "no conntrack".
  CHECK(zones.metric.size() == 7);
  CHECK(value(zones, {{"probe", "nf:ipv4:input"},
                      {"netns", kA},
                      {"zone", "0"},
                      {"direction", "none"},
                      {"state", "established"}}) == 10);
  CHECK(value(zones, {{"probe", "nf:ipv4:input"},
                      {"netns", kA},
                      {"zone", "5"},
                      {"direction", "default"},
                      {"state", "established"}}) == 4);
  CHECK(value(zones, {{"probe", "nf:ipv4:input"},
                      {"netns", kA},
                      {"zone", "0"},
                      {"direction", "none"},
                      {"state", "new"}}) == 3);
  CHECK(value(zones, {{"probe", "tp:net:net_dev_start_xmit"},
                      {"netns", kA},
                      {"zone", "2"},
                      {"direction", "original"},
                      {"state", "related"}}) == 1);
  CHECK(value(zones, {{"probe", "nf:ipv6:input"},
                      {"netns", kB},
                      {"zone", "0"},
                      {"direction", "none"},
                      {"state", "reply"}}) == 7);
  for (const auto& m : zones.metric) CHECK(m.label.at(4).value != "untracked");

  // Packets without a conntrack entry.
  const auto& nc_packets = family(fams, "nfct_no_conntrack_packets_total");
  const auto& nc_bytes = family(fams, "nfct_no_conntrack_bytes_total");
  CHECK(nc_packets.type == MetricType::Counter);
  CHECK(label_names(nc_packets) == std::vector<std::string>{"probe", "netns"});
  CHECK(nc_packets.metric.size() == 2);
  CHECK(value(nc_packets, {{"probe", "nf:ipv4:input"}, {"netns", kA}}) == 6);
  CHECK(value(nc_bytes, {{"probe", "nf:ipv4:input"}, {"netns", kA}}) == 600);
  CHECK(value(nc_packets, {{"probe", "nf:ipv6:input"}, {"netns", kB}}) == 2);
  CHECK(value(nc_bytes, {{"probe", "nf:ipv6:input"}, {"netns", kB}}) == 150);
}

TEST_CASE("an entry with no status bits set adds no status series") {
  auto fams = nfct::counter_families(
      nfct::aggregate({entry(kV4Input, kNsA, 0, kDirNone, kNew, 3, 180)}), kNames);
  CHECK(family(fams, "nfct_status_packets_total").metric.empty());
  CHECK(family(fams, "nfct_packets_total").metric.size() == 1);
  CHECK(family(fams, "nfct_zone_packets_total").metric.size() == 1);
}

TEST_CASE("the netns label is the full 32-bit inode in decimal, the zone the full 16-bit id") {
  auto fams = nfct::counter_families(
      nfct::aggregate({entry(kV4Input, 0xffffffffu, 65535, kDirDefault, kEstablished, 1, 1, {3})}),
      kNames);
  CHECK(value(family(fams, "nfct_packets_total"),
              {{"probe", "nf:ipv4:input"}, {"netns", "4294967295"}, {"state", "established"}}) == 1);
  CHECK(value(family(fams, "nfct_zone_packets_total"), {{"probe", "nf:ipv4:input"},
                                                         {"netns", "4294967295"},
                                                         {"zone", "65535"},
                                                         {"direction", "default"},
                                                         {"state", "established"}}) == 1);
}

TEST_CASE("a probe index without a name still yields a well-formed series") {
  auto fams = nfct::counter_families(nfct::aggregate({entry(42, kNsA, 0, kDirNone, kEstablished, 1, 1)}),
                                     kNames);
  const auto& packets = family(fams, "nfct_packets_total");
  REQUIRE(packets.metric.size() == 1);
  CHECK_FALSE(packets.metric[0].label.at(0).value.empty());
  CHECK(packets.metric[0].label.at(0).value != "nf:ipv4:input");
}

TEST_CASE("text exposition of the counter families") {
  auto fams = nfct::counter_families(nfct::aggregate(sample_entries()), kNames);
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, fams);
  const std::string text = os.str();
  std::set<std::string> lines;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) lines.insert(line);
  CAPTURE(text);
  CHECK(lines.count("# TYPE nfct_packets_total counter") == 1);
  CHECK(lines.count("# TYPE nfct_bytes_total counter") == 1);
  CHECK(lines.count("# TYPE nfct_status_packets_total counter") == 1);
  CHECK(lines.count("# TYPE nfct_zone_packets_total counter") == 1);
  CHECK(lines.count(R"(nfct_packets_total{probe="nf:ipv4:input",netns="4026531840",state="established"} 14)") ==
        1);
  CHECK(lines.count(R"(nfct_bytes_total{probe="nf:ipv6:input",netns="4026532999",state="reply"} 700)") == 1);
  CHECK(lines.count(
            R"(nfct_status_packets_total{probe="nf:ipv4:input",netns="4026531840",bit="confirmed"} 15)") == 1);
  CHECK(lines.count(
            R"(nfct_zone_packets_total{probe="nf:ipv4:input",netns="4026531840",zone="5",direction="default",state="established"} 4)") ==
        1);
  CHECK(lines.count(
            R"(nfct_zone_packets_total{probe="tp:net:net_dev_start_xmit",netns="4026531840",zone="2",direction="original",state="related"} 1)") ==
        1);
  // The exposition does not grow a second _total.
  CHECK(text.find("_total_total") == std::string::npos);
}

TEST_CASE("self families: probe health, map fill and overflow per probe") {
  nfct::SelfStats s;
  nfct::ProbeState v4;
  v4.probe = nfct::parse_probe("nf:ipv4:input").value();
  v4.index = kV4Input;
  v4.attached_netns = {kNsA, kNsB};
  nfct::ProbeState fwd;
  fwd.probe = nfct::parse_probe("nf:ipv6:forward").value();
  fwd.index = 7;
  fwd.attach_failures = 3;
  fwd.last_error = "netfilter link: Operation not supported";
  nfct::ProbeState tp;
  tp.probe = nfct::parse_probe("tp:net:net_dev_start_xmit").value();
  tp.index = kTp;
  tp.tracepoint_attached = true;
  s.manager.probes = {v4, fwd, tp};
  s.manager.netns_covered = 2;
  s.manager.rescans = 5;
  s.manager.netns_vanished = 1;
  s.names = kNames;
  s.map_entries = 42;
  s.map_max_entries = 65536;
  s.overflow.resize(NFCT_MAX_PROBES);
  s.overflow[kV4Input] = {5, 500};
  s.overflow[kTp] = {2, 200};
  s.collect_seconds = 0.25;
  s.scrape_errors = 4;

  auto fams = nfct::self_families(s);
  check_family_conventions(fams);

  const auto& up = family(fams, "nfct_probe_up");
  CHECK(up.type == MetricType::Gauge);
  CHECK(label_names(up) == std::vector<std::string>{"probe"});
  CHECK(up.metric.size() == 3);
  CHECK(value(up, {{"probe", "nf:ipv4:input"}}) == 1);
  CHECK(value(up, {{"probe", "nf:ipv6:forward"}}) == 0);
  CHECK(value(up, {{"probe", "tp:net:net_dev_start_xmit"}}) == 1);

  const auto& attached = family(fams, "nfct_probe_attached");
  CHECK(attached.type == MetricType::Gauge);
  CHECK(label_names(attached) == std::vector<std::string>{"probe", "netns"});
  CHECK(attached.metric.size() == 3);
  CHECK(value(attached, {{"probe", "nf:ipv4:input"}, {"netns", kA}}) == 1);
  CHECK(value(attached, {{"probe", "nf:ipv4:input"}, {"netns", kB}}) == 1);
  CHECK(value(attached, {{"probe", "tp:net:net_dev_start_xmit"}, {"netns", "all"}}) == 1);
  for (const auto& m : attached.metric) CHECK(m.label.at(0).value != "nf:ipv6:forward");

  const auto& errors = family(fams, "nfct_probe_attach_errors_total");
  CHECK(errors.type == MetricType::Counter);
  CHECK(label_names(errors) == std::vector<std::string>{"probe"});
  CHECK(errors.metric.size() == 3);
  CHECK(value(errors, {{"probe", "nf:ipv4:input"}}) == 0);
  CHECK(value(errors, {{"probe", "nf:ipv6:forward"}}) == 3);
  CHECK(value(errors, {{"probe", "tp:net:net_dev_start_xmit"}}) == 0);

  const auto& entries = family(fams, "nfct_map_entries");
  const auto& max_entries = family(fams, "nfct_map_max_entries");
  CHECK(entries.type == MetricType::Gauge);
  CHECK(max_entries.type == MetricType::Gauge);
  CHECK(value(entries, {{"map", "counters"}}) == 42);
  CHECK(value(max_entries, {{"map", "counters"}}) == 65536);

  const auto& ovf_packets = family(fams, "nfct_map_overflow_packets_total");
  const auto& ovf_bytes = family(fams, "nfct_map_overflow_bytes_total");
  CHECK(ovf_packets.type == MetricType::Counter);
  CHECK(ovf_bytes.type == MetricType::Counter);
  CHECK(label_names(ovf_packets) == std::vector<std::string>{"probe"});
  CHECK(ovf_packets.metric.size() == 3);
  CHECK(value(ovf_packets, {{"probe", "nf:ipv4:input"}}) == 5);
  CHECK(value(ovf_bytes, {{"probe", "nf:ipv4:input"}}) == 500);
  CHECK(value(ovf_packets, {{"probe", "nf:ipv6:forward"}}) == 0);
  CHECK(value(ovf_packets, {{"probe", "tp:net:net_dev_start_xmit"}}) == 2);
  CHECK(value(ovf_bytes, {{"probe", "tp:net:net_dev_start_xmit"}}) == 200);

  // Exporter-wide values without labels.
  CHECK(value(family(fams, "nfct_netns_attached"), {}) == 2);
  CHECK(value(family(fams, "nfct_netns_rescans_total"), {}) == 5);
  CHECK(value(family(fams, "nfct_netns_purged_total"), {}) == 1);
  CHECK(value(family(fams, "nfct_exporter_collect_duration_seconds"), {}) == 0.25);
  CHECK(value(family(fams, "nfct_exporter_scrape_errors_total"), {}) == 4);
}

TEST_CASE("self families with an overflow vector too short for a probe index report zero") {
  nfct::SelfStats s;
  nfct::ProbeState tp;
  tp.probe = nfct::parse_probe("tp:skb:kfree_skb").value();
  tp.index = 12;
  s.manager.probes = {tp};
  s.overflow.resize(3, nfct_overflow{9, 9});
  auto fams = nfct::self_families(s);
  CHECK(value(family(fams, "nfct_map_overflow_packets_total"), {{"probe", "tp:skb:kfree_skb"}}) == 0);
  CHECK(value(family(fams, "nfct_map_overflow_bytes_total"), {{"probe", "tp:skb:kfree_skb"}}) == 0);
  CHECK(value(family(fams, "nfct_probe_up"), {{"probe", "tp:skb:kfree_skb"}}) == 0);
  CHECK(family(fams, "nfct_probe_attached").metric.empty());
}

TEST_CASE("every family name is unique across counter, self and build info families") {
  auto all = nfct::counter_families(nfct::aggregate(sample_entries()), kNames);
  for (auto& f : nfct::self_families(nfct::SelfStats{})) all.push_back(f);
  auto info = nfct::build_info_family("0.1.0", "abc123", "1.1.0");
  for (auto& f : info) all.push_back(f);
  check_family_conventions(all);
  REQUIRE(info.size() == 1);
  CHECK(info[0].type == MetricType::Gauge);
  CHECK(value(info[0], {{"version", "0.1.0"}, {"revision", "abc123"}, {"libbpf", "1.1.0"}}) == 1);
  CHECK(has_family(all, "nfct_packets_total"));
  CHECK(has_family(all, "nfct_probe_up"));
}

TEST_CASE("text exposition of the self families") {
  nfct::SelfStats s;
  nfct::ProbeState v4;
  v4.probe = nfct::parse_probe("nf:ipv4:postrouting").value();
  v4.index = 4;
  v4.attached_netns = {kNsA};
  s.manager.probes = {v4};
  s.map_entries = 7;
  s.map_max_entries = 1024;
  s.overflow.resize(NFCT_MAX_PROBES);
  s.overflow[4] = {3, 300};
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, nfct::self_families(s));
  std::set<std::string> lines;
  std::istringstream is(os.str());
  for (std::string line; std::getline(is, line);) lines.insert(line);
  CAPTURE(os.str());
  CHECK(lines.count("# TYPE nfct_probe_up gauge") == 1);
  CHECK(lines.count(R"(nfct_probe_up{probe="nf:ipv4:postrouting"} 1)") == 1);
  CHECK(lines.count(R"(nfct_probe_attached{probe="nf:ipv4:postrouting",netns="4026531840"} 1)") == 1);
  CHECK(lines.count(R"(nfct_map_max_entries{map="counters"} 1024)") == 1);
  CHECK(lines.count(R"(nfct_map_overflow_packets_total{probe="nf:ipv4:postrouting"} 3)") == 1);
  CHECK(lines.count("# TYPE nfct_map_overflow_packets_total counter") == 1);
}

}  // TEST_SUITE
