// The one guard around every collector's scrape, as node_exporter's execute() does: the
// collector runs under a try/catch and a clock, a failure is logged and counted, and text
// it wrote before an exception is cut off again (a half-written family would make the
// page invalid). Collectors then never throw into the HTTP handler.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace nfct {

struct CollectorRun {
  bool ok = false;
  double seconds = 0;  // the collector's own time
};

// Runs `collect`. It returns false for a failure it has reported itself (a map that could
// not be read: the rest of what it wrote stays), or throws. An exception is logged as
// "scrape: <what>: <message>" and everything appended to *text (when given) since the
// start is removed. Either failure adds 1 to *errors (when given). Never throws.
CollectorRun guard_collector(std::string_view what, std::atomic<uint64_t>* errors, std::string* text,
                             const std::function<bool()>& collect) noexcept;

}  // namespace nfct
