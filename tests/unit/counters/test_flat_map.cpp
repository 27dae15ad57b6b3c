// FlatMap (counters/flat_map.h): the sorted-vector map the counter aggregates are kept in.
#include <doctest/doctest.h>

#include <map>
#include <stdexcept>
#include <tuple>

#include "flat_map.h"
#include "nfct.h"

TEST_CASE("FlatMap: sorted appends, merges, lookups and comparison with std::map") {
  using K = std::tuple<uint8_t, uint32_t>;
  nfct::FlatMap<K, uint64_t> m;
  m.add_sorted({1, 5}, 2);
  m.add_sorted({1, 5}, 3);  // equal to the last key: added up
  m.add_sorted({2, 0}, 7);
  CHECK_THROWS_AS(m.add_sorted({1, 9}, 1), std::logic_error);
  CHECK(m.size() == 2);
  CHECK(m.at({1, 5}) == 5);
  CHECK(m.count({2, 0}) == 1);
  CHECK(m.count({2, 1}) == 0);
  CHECK_THROWS_AS(m.at({0, 0}), std::out_of_range);
  m[{0, 0}] = 1;  // inserted in order
  CHECK(m == std::map<K, uint64_t>{{{0, 0}, 1}, {{1, 5}, 5}, {{2, 0}, 7}});

  nfct::FlatMap<K, nfct_value> pairs;
  pairs.add_unsorted({3, 1}, {1, 10});
  pairs.add_unsorted({1, 1}, {2, 20});
  pairs.add_unsorted({3, 1}, {4, 40});
  pairs.sort_and_merge();
  REQUIRE(pairs.size() == 2);
  CHECK(pairs.begin()->first == K{1, 1});
  CHECK(pairs.at({3, 1}).packets == 5);
  CHECK(pairs.at({3, 1}).bytes == 50);
  pairs.clear();
  CHECK(pairs.empty());

  const nfct::FlatMap<K, uint64_t> lit{{{9, 9}, 1}, {{0, 1}, 2}, {{9, 9}, 3}};
  CHECK(lit == std::map<K, uint64_t>{{{0, 1}, 2}, {{9, 9}, 4}});
}
