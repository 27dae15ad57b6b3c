// The drop probe's userspace side: reason names from BTF (exporter/drop_reasons.h), the
// metric families (drop_counters.h), its config key and probe name.
#include <doctest/doctest.h>

#include <bpf/btf.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "drop_counters.h"
#include "drop_entry.h"
#include "drop_probe.h"
#include "drop_reasons.h"
#include "nfct.h"

using nfct::DropEntry;
using nfct::DropReasons;

namespace {

using BtfPtr = std::unique_ptr<btf, decltype(&btf__free)>;

// A BTF object holding an enum skb_drop_reason with the given enumerators, in order.
BtfPtr btf_with_reasons(const std::vector<std::pair<const char*, int64_t>>& values,
                        const char* enum_name = "skb_drop_reason") {
  BtfPtr b(btf__new_empty(), btf__free);
  REQUIRE(b);
  REQUIRE(btf__add_enum(b.get(), enum_name, 4) > 0);
  for (const auto& [name, v] : values) REQUIRE(btf__add_enum_value(b.get(), name, v) == 0);
  return b;
}


// {"labels as netns/reason/state/zone": value} of one family.
std::map<std::string, double> samples(const prometheus::MetricFamily& f) {
  std::map<std::string, double> out;
  for (const auto& m : f.metric) {
    std::map<std::string, std::string> l;
    for (const auto& [k, v] : m.label) l[k] = v;
    CHECK(l.size() == 4);
    out[l["netns"] + "/" + l["reason"] + "/" + l["state"] + "/" + l["zone"]] = m.counter.value;
  }
  return out;
}

}  // namespace

TEST_CASE("reason labels: lower case without the prefix") {
  CHECK(nfct::drop_reason_label("SKB_DROP_REASON_NETFILTER_DROP") == "netfilter_drop");
  CHECK(nfct::drop_reason_label("SKB_DROP_REASON_IP_INHDR") == "ip_inhdr");
  CHECK(nfct::drop_reason_label("SKB_CONSUMED") == "consumed");
  CHECK(nfct::drop_reason_label("SKB_NOT_DROPPED_YET") == "not_dropped_yet");
  CHECK(nfct::drop_reason_label("OTHER_THING") == "other_thing");
}

TEST_CASE("reasons come from the BTF's enum, whatever its numbering; unnamed ones by number") {
  // Numbered unlike any real kernel: nothing may come from a compiled-in list.
  auto b = btf_with_reasons({{"SKB_NOT_DROPPED_YET", 0},
                             {"SKB_CONSUMED", 1},
                             {"SKB_DROP_REASON_NOT_SPECIFIED", 2},
                             {"SKB_DROP_REASON_NETFILTER_DROP", 40},
                             {"SKB_DROP_REASON_NO_SOCKET", 41},
                             {"SKB_DROP_REASON_MAX", 42}});
  auto r = DropReasons::from_btf(b.get());
  REQUIRE(r);
  CHECK(r->label(40) == "netfilter_drop");
  CHECK(r->label(41) == "no_socket");
  CHECK(r->label(2) == "not_specified");
  CHECK(r->label(12) == "12");        // a real kernel's netfilter_drop, not named here
  CHECK(r->label(42) == "42");        // the bound is not a reason
  CHECK(r->label(0x20001) == "131073");  // a subsystem's reason
  CHECK(r->value("netfilter_drop") == 40);
  CHECK(r->value("no_such_reason") == -1);
}

TEST_CASE("a BTF without the enum is an error that says what is missing") {
  auto b = btf_with_reasons({{"A", 1}}, "something_else");
  auto r = DropReasons::from_btf(b.get());
  REQUIRE_FALSE(r);
  CHECK(r.error().find("skb_drop_reason") != std::string::npos);
  CHECK_FALSE(DropReasons::from_btf(nullptr));
}

TEST_CASE("the running kernel's reasons, when it has BTF, name netfilter drops") {
  auto r = DropReasons::from_kernel();
  if (!r) {
    MESSAGE("no kernel BTF here: " << r.error());
    return;
  }
  CHECK(r->size() > 10);
  CHECK(r->value("netfilter_drop") >= 2);  // 0 and 1 are not drops
  CHECK(r->label(static_cast<uint32_t>(r->value("netfilter_drop"))) == "netfilter_drop");
}

TEST_CASE("drop families: one sample per (netns, reason, state, zone), packets and bytes") {
  auto b = btf_with_reasons({{"SKB_DROP_REASON_NETFILTER_DROP", 12}, {"SKB_DROP_REASON_IP_INHDR", 15}});
  auto reasons = DropReasons::from_btf(b.get());
  REQUIRE(reasons);
  std::vector<DropEntry> entries{
      drop_entry(7, 12, 2, 0, 5, 500),                   // new
      drop_entry(7, 12, 0, 9, 3, 300),                   // established, zone 9
      drop_entry(7, 15, NFCT_STATE_NO_CT, 0, 4, 400),    // no conntrack entry
      drop_entry(0, 99, NFCT_STATE_UNTRACKED, 0, 1, 60), // no namespace, unnamed reason
      drop_entry(8, 12, 3, 0, 2, 200),                   // reply
  };
  auto f = nfct::drop_families(entries, *reasons);
  REQUIRE(f.size() == 2);
  CHECK(f[0].name == "nfct_drop_packets_total");
  CHECK(f[1].name == "nfct_drop_bytes_total");
  CHECK(f[0].type == prometheus::MetricType::Counter);
  std::map<std::string, double> want_packets{{"7/netfilter_drop/new/0", 5},
                                             {"7/netfilter_drop/established/9", 3},
                                             {"7/ip_inhdr/no_conntrack/0", 4},
                                             {"0/99/untracked/0", 1},
                                             {"8/netfilter_drop/reply/0", 2}};
  CHECK(samples(f[0]) == want_packets);
  CHECK(samples(f[1])["7/ip_inhdr/no_conntrack/0"] == 400);
  CHECK(samples(f[1])["0/99/untracked/0"] == 60);
  // The exposition is valid text format (the serializer would throw on bad names).
  std::string text = prometheus::TextSerializer().Serialize(f);
  CHECK(text.find("nfct_drop_packets_total{netns=\"7\",reason=\"netfilter_drop\",state=\"new\",zone=\"0\"} 5") !=
        std::string::npos);
}

TEST_CASE("drop state labels: the packet counters' names plus no_conntrack") {
  CHECK(nfct::drop_state_label(0) == "established");
  CHECK(nfct::drop_state_label(4) == "related_reply");
  CHECK(nfct::drop_state_label(NFCT_STATE_UNTRACKED) == "untracked");
  CHECK(nfct::drop_state_label(NFCT_STATE_NO_CT) == "no_conntrack");
}

TEST_CASE("drops.enabled: on by default, can be turned off, must be a boolean") {
  CHECK(nfct::parse_config("", "t.yaml").drops.enabled);
  CHECK_FALSE(nfct::parse_config("drops:\n  enabled: false\n", "t.yaml").drops.enabled);
  CHECK_THROWS_AS(nfct::parse_config("drops:\n  enabled: maybe\n", "t.yaml"), nfct::ConfigError);
  CHECK_THROWS_AS(nfct::parse_config("drops:\n  rate: 1\n", "t.yaml"), nfct::ConfigError);
}

TEST_CASE("the drop probe's label is distinct from any configurable probe") {
  CHECK(nfct::drop_probe().name() == "drop:skb:kfree_skb");
  CHECK_FALSE(nfct::parse_probe("drop:skb:kfree_skb"));
}

TEST_CASE("with every probe index taken by tracepoints the drop probe is refused, not loaded") {
  nfct::DropProgram p(16, 0, -1, NFCT_MAX_PROBES - NFCT_TP_PROBE_BASE, /*attach=*/true);
  CHECK_FALSE(p.loaded());
  CHECK_FALSE(p.attached());
  CHECK(p.drops_fd() == -1);
  CHECK(p.error().find("tracepoints") != std::string::npos);
  auto s = p.state();
  CHECK_FALSE(s.up());
  CHECK(s.attach_failures == 1);
  CHECK(s.index == NFCT_MAX_PROBES - 1);
  CHECK(s.probe.name() == "drop:skb:kfree_skb");
  CHECK(s.last_error == p.error());
}
