#include "collector_guard.h"

#include <chrono>
#include <exception>

#include "log.h"

namespace nfct {

CollectorRun guard_collector(std::string_view what, std::atomic<uint64_t>* errors, std::string* text,
                             const std::function<bool()>& collect) noexcept {
  const auto t0 = std::chrono::steady_clock::now();
  const size_t mark = text ? text->size() : 0;
  CollectorRun run;
  try {
    run.ok = collect();
  } catch (const std::exception& e) {
    if (text) text->resize(mark);  // shrinking never allocates
    try {
      spdlog::warn("scrape: {}: {}", what, e.what());
    } catch (...) {  // logging itself out of memory: the error counter still says it
    }
  } catch (...) {
    if (text) text->resize(mark);
  }
  if (!run.ok && errors) errors->fetch_add(1, std::memory_order_relaxed);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

}  // namespace nfct
