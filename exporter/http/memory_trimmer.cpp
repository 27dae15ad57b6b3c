#include "memory_trimmer.h"

#include <malloc.h>

namespace nfct {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds delay) : delay_(delay) {
  thread_ = std::thread([this] {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [this] { return pending_ || stopping_; });
      if (stopping_) return;
      // Let the response go out (and concurrent scrapes finish) first.
      if (cv_.wait_for(lk, delay_, [this] { return stopping_; })) return;
      pending_ = false;
      lk.unlock();
      malloc_trim(0);
      lk.lock();
      trims_++;
    }
  });
}

MemoryTrimmer::~MemoryTrimmer() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MemoryTrimmer::request() {
  {
    std::lock_guard lk(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

unsigned long MemoryTrimmer::trims() const {
  std::lock_guard lk(mu_);
  return trims_;
}

}  // namespace nfct
