// sort_and_merge() (exporter/bpf_loader/counter_reader.h): the order every counter family
// is built from, one pass over it, and one entry per key.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "counter_reader.h"

TEST_CASE("sort_and_merge orders by key_less and adds up equal keys, like a plain sort and merge") {
  std::mt19937 rng(12345);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  std::vector<nfct::CounterEntry> entries;
  for (int i = 0; i < 5000; i++) {
    nfct_key k{};
    // Few values per field, so that many keys repeat and every field decides some order.
    k.netns = 4026531840u + pick(4);
    k.zone = static_cast<uint16_t>(pick(3) * 0x4001);
    k.zone_dir = static_cast<uint8_t>(pick(2));
    k.probe = static_cast<uint8_t>(pick(3) * 20);
    k.state = static_cast<uint8_t>(pick(3));
    k.pad = NFCT_KEY_TAG;
    k.status = static_cast<uint16_t>(pick(3) << 14 | pick(2));
    entries.push_back({k, {pick(100), pick(10000)}});
  }
  // The reference: the entries sorted with key_less, equal keys summed.
  auto ref = entries;
  std::stable_sort(ref.begin(), ref.end(),
                   [](const auto& a, const auto& b) { return nfct::key_less(a.key, b.key); });
  std::vector<nfct::CounterEntry> want;
  for (const auto& e : ref) {
    if (!want.empty() && nfct::key_equal(want.back().key, e.key)) {
      want.back().value.packets += e.value.packets;
      want.back().value.bytes += e.value.bytes;
    } else {
      want.push_back(e);
    }
  }
  nfct::sort_and_merge(entries);
  REQUIRE(entries.size() == want.size());
  CHECK(want.size() < 5000);  // keys did repeat
  for (size_t i = 0; i < want.size(); i++) {
    CAPTURE(i);
    CHECK(nfct::key_equal(entries[i].key, want[i].key));
    CHECK(entries[i].value.packets == want[i].value.packets);
    CHECK(entries[i].value.bytes == want[i].value.bytes);
  }
}
