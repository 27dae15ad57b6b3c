#include "events_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <vector>

#include "collector_guard.h"
#include "prom_family.h"
#include "nfct.h"

namespace nfct {

EventsCollector::EventsCollector(int sampler_fd, uint32_t sample_rate, const EventStore& store,
                                 const EventConsumer* consumer)
    : sampler_fd_(sampler_fd), sample_rate_(sample_rate), store_(store), consumer_(consumer) {}

std::vector<prometheus::MetricFamily> EventsCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  guard_collector("events metrics", nullptr, nullptr, [&] {
    uint64_t sampled = 0, dropped = 0;
    std::vector<nfct_sampler> percpu(static_cast<size_t>(std::max(libbpf_num_possible_cpus(), 1)));
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(sampler_fd_, &zero, percpu.data()) == 0) {
      for (const auto& s : percpu) {
        sampled += s.sampled;
        dropped += s.dropped;
      }
    }
    using prometheus::MetricType;
    auto scalar = [&out](const char* name, const char* help, MetricType type, double v) {
      out.push_back(make_family(name, help, type));
      add_sample(out.back(), {}, v);
    };
    scalar("nfct_events_sample_rate", "events.sample_rate: one tracked packet in N is sampled (0: off).",
             MetricType::Gauge, sample_rate_);
    scalar("nfct_events_sampled_total", "Packets chosen for sampling by the BPF programs.",
             MetricType::Counter, static_cast<double>(sampled));
    scalar("nfct_events_ringbuf_dropped_total", "Sampled packets dropped because the ring buffer was full.",
             MetricType::Counter, static_cast<double>(dropped));
    scalar("nfct_events_delivered_total", "Sampled events decoded into the event store.", MetricType::Counter,
             static_cast<double>(store_.pushed()));
    scalar("nfct_events_decode_errors_total", "Ring buffer records that could not be decoded.",
             MetricType::Counter, static_cast<double>(consumer_ ? consumer_->decode_errors() : 0));
    scalar("nfct_events_follower_dropped_total", "Events not sent to a follow=1 client that was too slow.",
             MetricType::Counter, static_cast<double>(store_.follower_drops()));
    scalar("nfct_events_stored", "Events held in the store for /events.", MetricType::Gauge,
             static_cast<double>(store_.size()));
    scalar("nfct_events_store_capacity", "Capacity of the event store (events.store_size).",
             MetricType::Gauge, static_cast<double>(store_.capacity()));
    scalar("nfct_events_followers", "Clients streaming /events with follow=1.", MetricType::Gauge,
             static_cast<double>(store_.followers()));
    return true;
  });
  return out;
}

}  // namespace nfct
