// GET /events: recent sampled events, filtered, as json, ndjson or text; follow=1
// streams new ones.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "event_store.h"
#include "http_util.h"

namespace nfct {

class EventsHandler : public GetOnlyHandler {
 public:
  // At most `max_followers` follow=1 streams at once (each holds an HTTP thread).
  // `sample_rate` (events.sample_rate, 0 = off) is announced in every answer: an
  // X-Nfct-Sample-Rate header, and with sampling off a comment line in the text format,
  // so that an empty answer is never mistaken for a quiet host.
  EventsHandler(EventStore& store, size_t max_followers, uint32_t sample_rate)
      : GetOnlyHandler("/events"), store_(store), max_followers_(max_followers), sample_rate_(sample_rate) {}
  bool get(mg_connection* conn, bool head) override;
  // Ends every follow stream (shutdown).
  void stop();

 private:
  bool follow(mg_connection* conn, const struct EventsQuery& q, bool head);
  std::string sampling_header() const;
  static constexpr std::chrono::seconds kKeepAlive{2};
  EventStore& store_;
  const size_t max_followers_;
  const uint32_t sample_rate_;
  std::atomic<size_t> followers_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace nfct
