// GET /events: recent sampled events, filtered, as json, ndjson or text; follow=1
// streams new ones.
#pragma once

#include <atomic>

#include "event_store.h"
#include "http_util.h"

namespace nfct {

class EventsHandler : public GetOnlyHandler {
 public:
  explicit EventsHandler(EventStore& store) : GetOnlyHandler("/events"), store_(store) {}
  bool get(mg_connection* conn, bool head) override;
  // Ends every follow stream (shutdown).
  void stop();

 private:
  bool follow(mg_connection* conn, const struct EventsQuery& q, bool head);
  EventStore& store_;
  std::atomic<bool> stopping_{false};
};

}  // namespace nfct
