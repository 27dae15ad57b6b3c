#include "event_consumer.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "error.h"
#include "event_decode.h"
#include "log.h"

namespace nfct {

void EventConsumer::RingBufferDeleter::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

EventConsumer::EventConsumer(int ringbuf_fd, EventStore& store, std::map<uint8_t, std::string> probe_names)
    : store_(store),
      probe_names_(std::move(probe_names)),
      // No pause between rounds: each round waits in ring_buffer__poll().
      task_("event ring buffer", BackgroundTask::Duration::zero(), [this] { poll_once(); }) {
  rb_.reset(ring_buffer__new(ringbuf_fd, &EventConsumer::on_record, this, nullptr));
  if (!rb_) throw FatalError(std::string("cannot open the event ring buffer: ") + std::strerror(errno));
}

EventConsumer::~EventConsumer() { stop(); }

int EventConsumer::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<EventConsumer*>(ctx);
  if (size < sizeof(nfct_event)) {
    self->decode_errors_++;
    return 0;
  }
  nfct_event rec;
  std::memcpy(&rec, data, sizeof rec);
  auto ev = decode_event(rec, self->probe_names_, self->mono_to_wall_ns_);
  if (!ev) {
    self->decode_errors_++;
    spdlog::debug("event record not decoded: {}", ev.error());
    return 0;
  }
  self->store_.push(std::move(*ev));
  return 0;
}

void EventConsumer::poll_once() {
  // Re-read each round so that clock steps (NTP) show up in event times.
  mono_to_wall_ns_ = monotonic_to_wall_offset_ns();
  // The BPF side wakes us only when the ring is an eighth full; the timeout bounds the
  // delay of a quiet stream (and of stop()).
  // ring_buffer__poll() only reads rings that signalled, so records submitted without a
  // wakeup are collected by the consume() that follows.
  int n = ring_buffer__poll(rb_.get(), 50);
  if (n >= 0) n = ring_buffer__consume(rb_.get());
  if (n < 0 && n != -EINTR) {
    spdlog::warn("event ring buffer poll failed: {}", std::strerror(-n));
    task_.request_stop();
  }
}

void EventConsumer::start() { task_.start(); }

void EventConsumer::stop() { task_.stop(); }

}  // namespace nfct
