#include "event_store.h"

#include <algorithm>
#include <utility>

namespace nfct {

bool EventFilter::matches(const Event& e) const {
  if (state && e.state != *state) return false;
  if (zone && e.base.zone_id != *zone) return false;
  if (protonum && e.base.orig.protonum != *protonum) return false;
  if (netns && e.netns != *netns) return false;
  return true;
}

void Subscription::offer(const Event& e, std::atomic<uint64_t>& drops) {
  if (!filter_.matches(e)) return;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    if (queue_.size() >= capacity_) {
      dropped_++;
      drops++;
      return;
    }
    queue_.push_back(e);
  }
  cv_.notify_one();
}

std::vector<Event> Subscription::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [this] { return closed_ || !queue_.empty(); });
  std::vector<Event> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

uint64_t Subscription::take_dropped() {
  std::lock_guard lk(mu_);
  return std::exchange(dropped_, 0);
}

void Subscription::close() {
  {
    std::lock_guard lk(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Subscription::closed() const {
  std::lock_guard lk(mu_);
  return closed_;
}

EventStore::EventStore(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void EventStore::push(Event e) {
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard lk(mu_);
    e.seq = next_seq_++;
    if (events_.size() >= capacity_) events_.pop_front();
    events_.push_back(e);
    // Forget the subscriptions whose clients went away.
    std::erase_if(subs_, [](const auto& w) { return w.expired(); });
    for (const auto& w : subs_)
      if (auto s = w.lock()) subs.push_back(std::move(s));
  }
  pushed_++;
  // Offered outside the store lock, so readers of recent() never wait on followers.
  // One consumer thread pushes, so every follower sees events in sequence order.
  for (auto& s : subs) s->offer(e, follower_drops_);
}

std::vector<Event> EventStore::recent(size_t limit, const EventFilter& filter) const {
  std::lock_guard lk(mu_);
  std::vector<Event> out;
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it)
    if (filter.matches(*it)) out.push_back(*it);
  std::reverse(out.begin(), out.end());
  return out;
}

std::shared_ptr<Subscription> EventStore::subscribe(EventFilter filter, size_t queue_capacity) {
  auto s = std::make_shared<Subscription>(std::move(filter), queue_capacity);
  std::lock_guard lk(mu_);
  subs_.push_back(s);
  return s;
}

void EventStore::close_all() {
  std::lock_guard lk(mu_);
  for (const auto& w : subs_)
    if (auto s = w.lock()) s->close();
}

size_t EventStore::size() const {
  std::lock_guard lk(mu_);
  return events_.size();
}

size_t EventStore::followers() const {
  std::lock_guard lk(mu_);
  size_t n = 0;
  for (const auto& w : subs_) n += !w.expired();
  return n;
}

}  // namespace nfct
