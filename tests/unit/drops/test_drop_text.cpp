// The drop families written straight to text (drops/drop_collector.h) against the
// prometheus-cpp families they replace on the page (drop_counters.h).
#include <doctest/doctest.h>
#include <bpf/btf.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "drop_collector.h"
#include "drop_entry.h"

namespace {

using BtfPtr = std::unique_ptr<btf, decltype(&btf__free)>;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();


}  // namespace

TEST_CASE("drop families: direct text equals the prometheus-cpp text, edge values and sums included") {
  BtfPtr b(btf__new_empty(), btf__free);
  REQUIRE(b);
  REQUIRE(btf__add_enum(b.get(), "skb_drop_reason", 4) > 0);
  REQUIRE(btf__add_enum_value(b.get(), "SKB_DROP_REASON_NETFILTER_DROP", 12) == 0);
  REQUIRE(btf__add_enum_value(b.get(), "SKB_DROP_REASON_IP_INHDR", 15) == 0);
  auto reasons = nfct::DropReasons::from_btf(b.get());
  REQUIRE(reasons);
  // Out of order, as the map returns them; the last two differ in nothing the labels show.
  const std::vector<nfct::DropEntry> entries{
      drop_entry(0xffffffffu, 12, 2, 65535, kMax, kMax - 1),
      drop_entry(7, 15, NFCT_STATE_NO_CT, 0, 0, 0),
      drop_entry(0, 99, NFCT_STATE_UNTRACKED, 0, 1, 60),  // no namespace, unnamed reason
      drop_entry(7, 12, 0, 9, 3, 300),
      drop_entry(7, 12, 0, 9, 4, 400),
  };
  std::string got;
  nfct::render_drop_families(entries, *reasons, got);
  const std::string expected = prometheus::TextSerializer().Serialize(nfct::drop_families(entries, *reasons));
  CAPTURE(got);
  CHECK(got == expected);
  CHECK(got.find("nfct_drop_packets_total{netns=\"7\",reason=\"netfilter_drop\",state=\"established\",zone=\"9\"} 7\n") !=
        std::string::npos);
  CHECK(got.find("nfct_drop_packets_total{netns=\"4294967295\",reason=\"netfilter_drop\",state=\"new\",zone=\"65535\"} "
                 "1.844674407370955e+19\n") != std::string::npos);
  CHECK(got.find("nfct_drop_bytes_total{netns=\"7\",reason=\"ip_inhdr\",state=\"no_conntrack\",zone=\"0\"} 0\n") !=
        std::string::npos);

  std::string none;
  nfct::render_drop_families({}, *reasons, none);
  CHECK(none == prometheus::TextSerializer().Serialize(nfct::drop_families({}, *reasons)));
}

TEST_CASE("drop families: kept label text is reused for the same label sets and rewritten for new ones") {
  const nfct::DropReasons reasons;  // numbers only
  nfct::DropText kept;
  auto expect = [&](const std::vector<nfct::DropEntry>& entries) {
    std::string got;
    nfct::render_drop_families(entries, reasons, got, kept);
    CHECK(got == prometheus::TextSerializer().Serialize(nfct::drop_families(entries, reasons)));
  };
  std::vector<nfct::DropEntry> entries{drop_entry(7, 12, 0, 9, 3, 300), drop_entry(8, 15, 1, 0, 1, 40)};
  expect(entries);
  const std::string labels(kept[0]);
  // The next scrape: the same label sets in another order, with new values.
  entries = {drop_entry(8, 15, 1, 0, 5, 200), drop_entry(7, 12, 0, 9, 4, 400)};
  expect(entries);
  CHECK(kept[0] == labels);
  // A label set comes, one goes (same count): the text must follow, not be reused.
  entries = {drop_entry(7, 12, 0, 9, 5, 500), drop_entry(9, 12, 0, 9, 1, 10)};
  expect(entries);
  CHECK(kept.size() == 2);
  CHECK(kept[1].find("netns=\"9\"") != std::string_view::npos);
  // And none.
  expect({});
  CHECK(kept.size() == 0);
}
