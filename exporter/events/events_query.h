// The parameters of GET /events (README, "Events"), parsed and validated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "event_store.h"
#include "expected.h"

namespace nfct {

enum class EventFormat { Json, Ndjson, Text };

struct EventsQuery {
  size_t limit = 100;
  bool limit_given = false;
  EventFormat format = EventFormat::Json;
  EventFilter filter;
  bool follow = false;
};

struct QueryError {
  std::string parameter;
  std::string message;
};

inline constexpr size_t kMaxEventsLimit = 1'000'000;

// Parses a raw query string (without '?'), percent-decoding it. Unknown and repeated
// parameters are errors.
std::variant<EventsQuery, QueryError> parse_events_query(std::string_view query);

}  // namespace nfct
