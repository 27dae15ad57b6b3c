// The one guard every collector runs under (prom/collector_guard.h).
#include <doctest/doctest.h>

#include <atomic>
#include <new>
#include <stdexcept>
#include <string>

#include "collector_guard.h"

TEST_CASE("collector guard: success, a reported failure and an exception") {
  std::atomic<uint64_t> errors{0};
  std::string text = "# before\n";

  auto ok = nfct::guard_collector("test", &errors, &text, [&] {
    text += "a 1\n";
    return true;
  });
  CHECK(ok.ok);
  CHECK(ok.seconds >= 0);
  CHECK(errors == 0);
  CHECK(text == "# before\na 1\n");

  // A failure the collector reported itself: what it wrote stays, the error is counted.
  auto failed = nfct::guard_collector("test", &errors, &text, [&] {
    text += "b 2\n";
    return false;
  });
  CHECK_FALSE(failed.ok);
  CHECK(errors == 1);
  CHECK(text == "# before\na 1\nb 2\n");

  // An exception: the half-written text is cut off, the error counted, nothing escapes.
  nfct::CollectorRun thrown;
  CHECK_NOTHROW(thrown = nfct::guard_collector("test", &errors, &text, [&]() -> bool {
                  text += "# HELP c half a fam";
                  throw std::runtime_error("boom");
                }));
  CHECK_FALSE(thrown.ok);
  CHECK(errors == 2);
  CHECK(text == "# before\na 1\nb 2\n");

  // Not a std::exception either; and no counter or text given.
  CHECK_NOTHROW(nfct::guard_collector("test", nullptr, nullptr, []() -> bool { throw 42; }));
  CHECK_NOTHROW(nfct::guard_collector("test", &errors, nullptr, []() -> bool { throw std::bad_alloc(); }));
  CHECK(errors == 3);
}
