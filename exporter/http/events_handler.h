// GET /events: recent sampled events, filtered, as json, ndjson or text; follow=1
// streams new ones.
#pragma once

#include <atomic>
#include <chrono>

#include "event_store.h"
#include "http_util.h"

namespace nfct {

class EventsHandler : public GetOnlyHandler {
 public:
  // At most `max_followers` follow=1 streams at once (each holds an HTTP thread).
  EventsHandler(EventStore& store, size_t max_followers)
      : GetOnlyHandler("/events"), store_(store), max_followers_(max_followers) {}
  bool get(mg_connection* conn, bool head) override;
  // Ends every follow stream (shutdown).
  void stop();

 private:
  bool follow(mg_connection* conn, const struct EventsQuery& q, bool head);
  static constexpr std::chrono::seconds kKeepAlive{2};
  EventStore& store_;
  const size_t max_followers_;
  std::atomic<size_t> followers_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace nfct
