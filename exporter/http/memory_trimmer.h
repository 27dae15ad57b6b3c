// Gives memory freed after a scrape back to the system, off the request path.
//
// A scrape of many series allocates tens of MB for a moment; glibc keeps what is freed.
// malloc_trim() returns it but takes milliseconds, so it runs in this thread, a moment
// after a scrape asked for it, instead of delaying the scrape's response.
#pragma once

#include <chrono>

#include "background_task.h"

namespace nfct {

class MemoryTrimmer {
 public:
  explicit MemoryTrimmer(std::chrono::milliseconds delay = std::chrono::milliseconds(200));

  void request();  // cheap; called after each scrape
  unsigned long trims() const;

 private:
  const std::chrono::milliseconds delay_;
  BackgroundTask task_;  // stopped and joined by its destructor
};

}  // namespace nfct
