// The /events query parser and the 400 answer built from its error: any query string
// (issue 9: "%ff" as a parameter name aborted the exporter in json::dump()) gives a query
// or an error whose body is valid JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "events_query.h"
#include "fuzz_check.h"
#include "json_text.h"

namespace {

std::string error_body(const nfct::QueryError& err) {
#ifdef NFCT_FUZZ_SELFTEST_STRICT_DUMP
  // Self-test only (fuzz/selftest.sh): the behaviour before the fix of issue 9 item 1, a
  // strict dump() that throws on invalid UTF-8. The runner must report it as a crash.
  nlohmann::ordered_json body{{"error", "bad request"}, {"parameter", err.parameter}, {"message", err.message}};
  return body.dump() + "\n";
#else
  return nfct::query_error_body(err);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto parsed = nfct::parse_events_query(query);
  if (auto* err = std::get_if<nfct::QueryError>(&parsed)) {
    std::string body = error_body(*err);
    FUZZ_CHECK(!body.empty() && body.back() == '\n');
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!j.is_discarded() && j.is_object() && j["error"] == "bad request");
    return 0;
  }
  const auto& q = std::get<nfct::EventsQuery>(parsed);
  FUZZ_CHECK(q.limit >= 1 && q.limit <= nfct::kMaxEventsLimit);
  FUZZ_CHECK(!q.follow || q.format != nfct::EventFormat::Json);
  return 0;
}
