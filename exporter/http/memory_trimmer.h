// Gives memory freed after a scrape back to the system, off the request path.
//
// A scrape of many series allocates tens of MB for a moment; glibc keeps what is freed.
// malloc_trim() returns it but takes milliseconds, so it runs in this thread, a moment
// after a scrape asked for it, instead of delaying the scrape's response.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace nfct {

class MemoryTrimmer {
 public:
  explicit MemoryTrimmer(std::chrono::milliseconds delay = std::chrono::milliseconds(200));
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  void request();  // cheap; called after each scrape
  unsigned long trims() const;

 private:
  const std::chrono::milliseconds delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  unsigned long trims_ = 0;
  std::thread thread_;
};

}  // namespace nfct
