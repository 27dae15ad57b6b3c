// The one way the exporter runs work off the request path: a thread that runs `work`
// every `interval` and whenever woken, until stopped.
//
// Runs never overlap. `interval` counts from the end of one run to the start of the
// next; wake(after) brings the next run forward to `after` from now at the latest (wakes
// while a run is going on make one more run after it, several wakes before a run make
// one). An exception thrown by `work` is logged as "<name> failed: ..." and the task goes
// on. A long run polls stop_requested() to end early.
//
// start() and stop() belong to the owner (one thread); wake() and request_stop() may be
// called from any thread, including from inside `work`. Declare the task after every
// member `work` uses, so that it is destroyed (and its thread joined) first.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace nfct {

class BackgroundTask {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = Clock::duration;
  // No periodic runs: the task runs only when woken.
  static constexpr Duration kOnlyWhenWoken = Duration::max();

  BackgroundTask(std::string name, Duration interval, std::function<void()> work);
  ~BackgroundTask();  // stop()
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;

  // Starts the thread; the first run comes after `interval` or at a wake(), whichever is
  // first. Does nothing while the thread runs; after stop() it starts a new one.
  void start();
  // The next run starts no later than `after` from now (at once by default).
  void wake(Duration after = Duration::zero());
  // No run starts after this; the one going on finishes. Does not wait.
  void request_stop();
  // request_stop(), then waits for the thread to end. Idempotent.
  void stop();

  const std::atomic<bool>& stop_requested() const { return stopping_; }
  uint64_t runs() const;  // runs finished, whether or not they threw

 private:
  void loop();
  void run_guarded();

  const std::string name_;
  const Duration interval_;
  const std::function<void()> work_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};  // written under mu_, so a waiting thread never misses it
  Clock::time_point wake_at_ = Clock::time_point::max();
  uint64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace nfct
