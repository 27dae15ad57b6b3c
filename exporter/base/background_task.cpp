#include "background_task.h"

#include <algorithm>
#include <exception>

#include "log.h"

namespace nfct {

BackgroundTask::BackgroundTask(std::string name, Duration interval, std::function<void()> work)
    : name_(std::move(name)), interval_(interval), work_(std::move(work)) {}

BackgroundTask::~BackgroundTask() { stop(); }

void BackgroundTask::start() {
  if (thread_.joinable()) {
    if (!stopping_) return;  // already running
    thread_.join();          // ended by request_stop(): start afresh
  }
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void BackgroundTask::wake(Duration after) {
  {
    std::lock_guard lk(mu_);
    wake_at_ = std::min(wake_at_, Clock::now() + after);
  }
  cv_.notify_all();
}

void BackgroundTask::request_stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void BackgroundTask::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

uint64_t BackgroundTask::runs() const {
  std::lock_guard lk(mu_);
  return runs_;
}

void BackgroundTask::loop() {
  const auto after_interval = [this] {
    // Clock::now() + Duration::max() would overflow.
    return interval_ == kOnlyWhenWoken ? Clock::time_point::max() : Clock::now() + interval_;
  };
  std::unique_lock lk(mu_);
  Clock::time_point next = after_interval();
  while (!stopping_) {
    const Clock::time_point due = std::min(next, wake_at_);
    if (due > Clock::now()) {
      // Woken by stop, by wake() or spuriously: the loop looks at the state again.
      if (due == Clock::time_point::max())
        cv_.wait(lk);
      else
        cv_.wait_until(lk, due);
      continue;
    }
    wake_at_ = Clock::time_point::max();  // wakes from now on ask for another run
    lk.unlock();
    run_guarded();
    lk.lock();
    runs_++;
    next = after_interval();
  }
}

void BackgroundTask::run_guarded() {
  try {
    work_();
  } catch (const std::exception& e) {
    spdlog::warn("{} failed: {}", name_, e.what());
  } catch (...) {
    spdlog::warn("{} failed: unknown exception", name_);
  }
}

}  // namespace nfct
