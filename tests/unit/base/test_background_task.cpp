#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "background_task.h"

using namespace std::chrono_literals;
using nfct::BackgroundTask;

namespace {

// Polls `pred` until it holds or 5 s pass.
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("background task: runs every interval") {
  std::atomic<int> calls{0};
  BackgroundTask task("test task", 1ms, [&] { calls++; });
  task.start();
  REQUIRE(eventually([&] { return task.runs() >= 3; }));
  task.stop();
  CHECK(calls.load() == static_cast<int>(task.runs()));
}

TEST_CASE("background task: stop wakes a sleeping task at once, without a run") {
  std::atomic<int> calls{0};
  BackgroundTask task("test task", std::chrono::hours(1), [&] { calls++; });
  task.start();
  const auto t0 = std::chrono::steady_clock::now();
  task.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // not the hour
  CHECK(calls.load() == 0);
  task.stop();  // idempotent
  CHECK(task.runs() == 0);
}

TEST_CASE("background task: wake runs it before the interval, a wake before start too") {
  std::atomic<int> calls{0};
  BackgroundTask task("test task", std::chrono::hours(1), [&] { calls++; });
  task.wake();  // before start: remembered
  task.start();
  REQUIRE(eventually([&] { return task.runs() == 1; }));
  task.wake();
  REQUIRE(eventually([&] { return task.runs() == 2; }));
  CHECK(calls.load() == 2);
}

TEST_CASE("background task: only when woken, and a wake with a delay") {
  std::atomic<int> calls{0};
  BackgroundTask task("test task", BackgroundTask::kOnlyWhenWoken, [&] { calls++; });
  task.start();
  task.wake(std::chrono::hours(1));  // far away: stop must not wait for it
  task.wake(5ms);                    // the earlier of two wakes counts
  REQUIRE(eventually([&] { return task.runs() == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  task.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(calls.load() == 1);
}

TEST_CASE("background task: the destructor waits for the run going on, which sees the stop") {
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  {
    BackgroundTask* self = nullptr;
    BackgroundTask task("test task", std::chrono::hours(1), [&] {
      entered = true;
      // A long run that ends early when asked to.
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (!self->stop_requested() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      finished = true;
    });
    self = &task;
    task.start();
    task.wake();
    REQUIRE(eventually([&] { return entered.load(); }));
    CHECK_FALSE(finished.load());
  }  // ~BackgroundTask: request_stop, join
  CHECK(finished.load());
}

TEST_CASE("background task: an exception from the work is logged and the task goes on") {
  std::atomic<int> calls{0};
  BackgroundTask task("test task", std::chrono::hours(1), [&] {
    if (calls++ == 0) throw std::runtime_error("first run fails");
  });
  task.start();
  task.wake();
  REQUIRE(eventually([&] { return task.runs() == 1; }));
  task.wake();
  REQUIRE(eventually([&] { return task.runs() == 2; }));
  CHECK(calls.load() == 2);
}

TEST_CASE("background task: request_stop from inside the work ends the thread; start begins anew") {
  BackgroundTask* self = nullptr;
  std::atomic<int> calls{0};
  BackgroundTask task("test task", 1ms, [&] {
    calls++;
    self->request_stop();
  });
  self = &task;
  task.start();
  REQUIRE(eventually([&] { return task.runs() == 1; }));
  task.stop();  // joins the ended thread: no second run happened in between
  CHECK(calls.load() == 1);
  task.start();
  REQUIRE(eventually([&] { return task.runs() == 2; }));
  task.stop();
  CHECK(calls.load() == 2);
}
