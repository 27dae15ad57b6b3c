#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "memory_trimmer.h"

using namespace std::chrono_literals;

namespace {

// Polls until `trimmer.trims()` reaches `n`, or the deadline passes.
bool trims_reach(const nfct::MemoryTrimmer& trimmer, unsigned long n) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (trimmer.trims() >= n) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

}  // namespace

TEST_CASE("memory trimmer: trims after a request, once for a burst, never without one") {
  nfct::MemoryTrimmer trimmer(10ms);
  CHECK(trimmer.trims() == 0);
  for (int i = 0; i < 50; i++) trimmer.request();  // a burst of scrapes: one trim
  REQUIRE(trims_reach(trimmer, 1));
  trimmer.request();
  REQUIRE(trims_reach(trimmer, 2));
  CHECK(trimmer.trims() <= 3);
}

TEST_CASE("memory trimmer: destruction does not wait for the delay") {
  auto t0 = std::chrono::steady_clock::now();
  {
    nfct::MemoryTrimmer trimmer(std::chrono::hours(1));
    trimmer.request();  // pending, an hour away
  }
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}
