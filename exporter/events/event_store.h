// The bounded in-memory store of recent events, and `follow` subscriptions.
//
// The consumer thread pushes; HTTP threads read. A push never blocks on a reader: each
// follower has a bounded queue, and when it is full the event is dropped for that
// follower only and counted, so a slow client cannot stall the consumer, the other
// clients, or grow memory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "event.h"

namespace nfct {

struct EventFilter {
  std::optional<uint8_t> state;
  std::optional<uint16_t> zone;
  std::optional<uint8_t> protonum;
  std::optional<uint64_t> netns;
  bool matches(const Event& e) const;
};

class EventStore;

class Subscription {
 public:
  Subscription(EventFilter filter, size_t capacity) : filter_(std::move(filter)), capacity_(capacity) {}
  // Waits up to `timeout` for events; returns what is queued (possibly nothing).
  std::vector<Event> wait(std::chrono::milliseconds timeout);
  // Events dropped for this follower since the last call.
  uint64_t take_dropped();
  void close();  // wakes a waiter; further events are not queued
  bool closed() const;

 private:
  friend class EventStore;
  void offer(const Event& e, std::atomic<uint64_t>& drops);

  const EventFilter filter_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> queue_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
};

class EventStore {
 public:
  explicit EventStore(size_t capacity);

  void push(Event e);  // assigns the sequence number
  // The most recent `limit` events that match, oldest first.
  std::vector<Event> recent(size_t limit, const EventFilter& filter) const;
  std::shared_ptr<Subscription> subscribe(EventFilter filter, size_t queue_capacity = 4096);
  void close_all();  // shutdown: ends every follow

  size_t size() const;
  size_t capacity() const { return capacity_; }
  uint64_t pushed() const { return pushed_.load(); }
  uint64_t follower_drops() const { return follower_drops_.load(); }
  size_t followers() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Event> events_;
  uint64_t next_seq_ = 1;
  std::vector<std::weak_ptr<Subscription>> subs_;
  std::atomic<uint64_t> pushed_{0};
  std::atomic<uint64_t> follower_drops_{0};
};

}  // namespace nfct
