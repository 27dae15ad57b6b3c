// Probe specifications (exporter/probe.h).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "nfct.h"
#include "probe.h"

using nfct::parse_probe;
using nfct::Probe;

namespace {

constexpr int kIpv4 = 2;   // NFPROTO_IPV4
constexpr int kIpv6 = 10;  // NFPROTO_IPV6
// NF_INET_PRE_ROUTING .. NF_INET_POST_ROUTING
const char* const kHooks[] = {"prerouting", "input", "forward", "output", "postrouting"};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("probe") {

TEST_CASE("all 10 netfilter probes parse, format back and map to their BPF index") {
  std::set<int> indexes;
  for (int pf : {kIpv4, kIpv6}) {
    for (int hook = 0; hook < 5; hook++) {
      const std::string text = std::string("nf:") + (pf == kIpv4 ? "ipv4" : "ipv6") + ":" + kHooks[hook];
      CAPTURE(text);
      auto p = parse_probe(text);
      REQUIRE(p.has_value());
      CHECK(p->kind == Probe::Kind::Netfilter);
      CHECK(p->pf == pf);
      CHECK(p->hook == hook);
      CHECK(p->category.empty());
      CHECK(p->event.empty());
      CHECK(p->name() == text);
      CHECK(parse_probe(p->name()).value() == p.value());
      const int index = nfct::nf_probe_index(p->pf, p->hook);
      CHECK(index == (pf == kIpv6 ? 5 : 0) + hook);
      CHECK(index < NFCT_NF_PROBES);
      indexes.insert(index);
    }
  }
  CHECK(indexes.size() == 10);  // distinct
}

TEST_CASE("nf_probe_index: ipv4 hooks are 0..4, ipv6 hooks are 5..9") {
  CHECK(nfct::nf_probe_index(kIpv4, 0) == 0);
  CHECK(nfct::nf_probe_index(kIpv4, 1) == 1);
  CHECK(nfct::nf_probe_index(kIpv4, 2) == 2);
  CHECK(nfct::nf_probe_index(kIpv4, 3) == 3);
  CHECK(nfct::nf_probe_index(kIpv4, 4) == 4);
  CHECK(nfct::nf_probe_index(kIpv6, 0) == 5);
  CHECK(nfct::nf_probe_index(kIpv6, 1) == 6);
  CHECK(nfct::nf_probe_index(kIpv6, 2) == 7);
  CHECK(nfct::nf_probe_index(kIpv6, 3) == 8);
  CHECK(nfct::nf_probe_index(kIpv6, 4) == 9);
  // The tracepoint index space starts right after.
  CHECK(NFCT_TP_PROBE_BASE == NFCT_NF_PROBES);
}

TEST_CASE("tracepoint probes parse and format back") {
  for (const char* text : {"tp:net:net_dev_start_xmit", "tp:net:netif_receive_skb", "tp:skb:kfree_skb",
                           "tp:A_b9:Z_0", "tp:x:y"}) {
    CAPTURE(text);
    auto p = parse_probe(text);
    REQUIRE(p.has_value());
    CHECK(p->kind == Probe::Kind::Tracepoint);
    CHECK(p->name() == text);
    CHECK(parse_probe(p->name()).value() == p.value());
  }
  auto p = parse_probe("tp:net:net_dev_start_xmit").value();
  CHECK(p.category == "net");
  CHECK(p.event == "net_dev_start_xmit");
  // 64 characters is the longest accepted component.
  const std::string c64(64, 'c');
  CHECK(parse_probe("tp:" + c64 + ":" + c64).has_value());
}

TEST_CASE("probes compare by every field") {
  CHECK(parse_probe("nf:ipv4:input").value() != parse_probe("nf:ipv6:input").value());
  CHECK(parse_probe("nf:ipv4:input").value() != parse_probe("nf:ipv4:output").value());
  CHECK(parse_probe("tp:net:a").value() != parse_probe("tp:net:b").value());
  CHECK(parse_probe("tp:a:x").value() != parse_probe("tp:b:x").value());
}

TEST_CASE("default probes: every tracked packet once, after NAT") {
  std::vector<std::string> names;
  for (const auto& p : nfct::default_probes()) names.push_back(p.name());
  CHECK(names == std::vector<std::string>{"nf:ipv4:input", "nf:ipv4:postrouting", "nf:ipv6:input",
                                          "nf:ipv6:postrouting"});
}

TEST_CASE("probe parse errors name the probe and what was expected") {
  struct Case {
    const char* text;
    const char* expected;  // part of the message
  };
  const Case cases[] = {
      {"", "expected nf:<ipv4|ipv6>:<hook> or tp:<category>:<event>"},
      {"nf", "expected nf:<ipv4|ipv6>:<hook> or tp:<category>:<event>"},
      {"nf:ipv4", "expected nf:<ipv4|ipv6>:<hook> or tp:<category>:<event>"},
      {"nf:ipv4:input:extra", "expected nf:<ipv4|ipv6>:<hook> or tp:<category>:<event>"},
      {"tp:net:net_dev_start_xmit:x", "expected nf:<ipv4|ipv6>:<hook>"},
      {"nf:ipv5:input", "family 'ipv5' is not ipv4 or ipv6"},
      {"nf:IPv4:input", "family 'IPv4' is not ipv4 or ipv6"},
      {"nf::input", "family '' is not ipv4 or ipv6"},
      {"nf:inet:input", "family 'inet' is not ipv4 or ipv6"},
      {"nf:ipv4:inptu", "hook 'inptu' is not prerouting, input, forward, output or postrouting"},
      {"nf:ipv4:INPUT", "hook 'INPUT'"},
      {"nf:ipv4:", "hook ''"},
      {"nf:ipv6:pre_routing", "hook 'pre_routing'"},
      {"nf:ipv4:ingress", "hook 'ingress'"},
      {"NF:ipv4:input", "kind 'NF' is not nf or tp"},
      {"xdp:eth0:rx", "kind 'xdp' is not nf or tp"},
      {":ipv4:input", "kind '' is not nf or tp"},
      {"tp::event", "[A-Za-z0-9_]+"},
      {"tp:net:", "[A-Za-z0-9_]+"},
      {"tp:net:net-dev", "[A-Za-z0-9_]+"},
      {"tp:net/x:y", "[A-Za-z0-9_]+"},
      {"tp:net:a b", "[A-Za-z0-9_]+"},
      {"tp:../..:x", "[A-Za-z0-9_]+"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto p = parse_probe(c.text);
    REQUIRE_FALSE(p.has_value());
    CHECK(contains(p.error(), std::string("probe '") + c.text + "'"));
    CHECK(contains(p.error(), c.expected));
  }
  const std::string c65(65, 'c');
  CHECK_FALSE(parse_probe("tp:" + c65 + ":x").has_value());
  CHECK_FALSE(parse_probe("tp:x:" + c65).has_value());
}

}  // TEST_SUITE
