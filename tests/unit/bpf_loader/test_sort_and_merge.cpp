// sort_and_merge() (exporter/bpf_loader/counter_reader.h): the order every counter family
// is built from, one pass over it, and one entry per key.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "counter_reader.h"

namespace {

// Random entries over few values per field, so that many keys repeat and every field
// decides some order.
std::vector<nfct::CounterEntry> random_entries(std::mt19937& rng, int n) {
  auto pick = [&](uint32_t m) { return static_cast<uint32_t>(rng() % m); };
  std::vector<nfct::CounterEntry> entries;
  for (int i = 0; i < n; i++) {
    nfct_key k{};
    k.netns = 4026531840u + pick(4);
    k.zone = static_cast<uint16_t>(pick(3) * 0x4001);
    k.zone_dir = static_cast<uint8_t>(pick(2));
    k.probe = static_cast<uint8_t>(pick(3) * 20);
    k.state = static_cast<uint8_t>(pick(3));
    k.pad = NFCT_KEY_TAG;
    k.status = static_cast<uint16_t>(pick(3) << 14 | pick(2));
    entries.push_back({k, {pick(100), pick(10000)}});
  }
  return entries;
}

// The reference: the entries sorted with key_less, equal keys summed.
std::vector<nfct::CounterEntry> reference(std::vector<nfct::CounterEntry> ref) {
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
  return want;
}

void check_same(const std::vector<nfct::CounterEntry>& got, const std::vector<nfct::CounterEntry>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); i++) {
    CAPTURE(i);
    CHECK(nfct::key_equal(got[i].key, want[i].key));
    CHECK(got[i].value.packets == want[i].value.packets);
    CHECK(got[i].value.bytes == want[i].value.bytes);
  }
}

}  // namespace

TEST_CASE("with a cache, the next scrape's same keys reuse the order, and new values are still summed") {
  std::mt19937 rng(777);
  auto first = random_entries(rng, 3000);
  nfct::SortCache cache;
  auto a = first;
  nfct::sort_and_merge(a, &cache);
  check_same(a, reference(first));
  // The next scrape: the same keys in the same order, with grown counts.
  auto second = first;
  for (auto& e : second) e.value.packets += 3;
  const auto order = cache.order;
  auto b = second;
  nfct::sort_and_merge(b, &cache);
  CHECK(cache.order == order);
  check_same(b, reference(second));
  // A key came (and the order of the rest changed): sorted again, not reused.
  auto third = second;
  std::swap(third.front(), third.back());
  nfct_key fresh = third[10].key;
  fresh.probe = 0;
  fresh.netns = 1;  // sorts before every other key (probe, then netns, come first)
  third.push_back({fresh, {5, 50}});
  auto c = third;
  nfct::sort_and_merge(c, &cache);
  check_same(c, reference(third));
  CHECK(nfct::key_equal(c.front().key, fresh));
}

TEST_CASE("sort_and_merge orders by key_less and adds up equal keys, like a plain sort and merge") {
  std::mt19937 rng(12345);
  auto entries = random_entries(rng, 5000);
  const auto want = reference(entries);
  CHECK(want.size() < 5000);  // keys did repeat
  nfct::sort_and_merge(entries);
  check_same(entries, want);
}
