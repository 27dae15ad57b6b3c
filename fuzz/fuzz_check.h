// A check for the fuzz targets: a property that fails is a finding, reported the way
// libFuzzer reports a crash (abort() -> "deadly signal", exit code != 0, the input
// saved as crash-*), with the reason on stderr. assert() is not used: the targets are
// built with NDEBUG in release builds.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
