// The ring buffer consumer: a thread that decodes sampled records into the store.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "background_task.h"
#include "event_store.h"

struct ring_buffer;

namespace nfct {

class EventConsumer {
 public:
  // Throws FatalError when the ring buffer cannot be opened.
  EventConsumer(int ringbuf_fd, EventStore& store, std::map<uint8_t, std::string> probe_names);
  ~EventConsumer();
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  void start();
  void stop();
  uint64_t decode_errors() const { return decode_errors_.load(); }

 private:
  static int on_record(void* ctx, void* data, size_t size);
  void poll_once();  // one round of the thread

  struct RingBufferDeleter {
    void operator()(ring_buffer* rb) const;
  };
  std::unique_ptr<ring_buffer, RingBufferDeleter> rb_;
  EventStore& store_;
  const std::map<uint8_t, std::string> probe_names_;
  int64_t mono_to_wall_ns_ = 0;
  std::atomic<uint64_t> decode_errors_{0};
  // Last: destroyed (its thread joined) before what poll_once() uses.
  BackgroundTask task_;
};

}  // namespace nfct
