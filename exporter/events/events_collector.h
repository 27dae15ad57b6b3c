// The exporter's own metrics about event sampling.
#pragma once

#include <prometheus/collectable.h>

#include "event_consumer.h"
#include "event_store.h"

namespace nfct {

class EventsCollector : public prometheus::Collectable {
 public:
  EventsCollector(int sampler_fd, uint32_t sample_rate, const EventStore& store, const EventConsumer* consumer);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  int sampler_fd_;
  uint32_t sample_rate_;
  const EventStore& store_;
  const EventConsumer* consumer_;  // null when sampling is off
};

}  // namespace nfct
