#include "memory_trimmer.h"

#include <malloc.h>

namespace nfct {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds delay)
    : delay_(delay), task_("memory trim", BackgroundTask::kOnlyWhenWoken, [] { malloc_trim(0); }) {
  task_.start();
}

// Let the response go out (and concurrent scrapes finish) first: the requests of a burst
// of scrapes make one trim.
void MemoryTrimmer::request() { task_.wake(delay_); }

unsigned long MemoryTrimmer::trims() const { return task_.runs(); }

}  // namespace nfct
