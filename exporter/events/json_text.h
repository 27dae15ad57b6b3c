// JSON text of the /events answers that never fails on the bytes a client sent.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "events_query.h"

namespace nfct {

// j.dump() with invalid UTF-8 written as U+FFFD instead of throwing type_error 316 (a
// query parameter's name may be any byte string once percent-decoded).
std::string json_text(const nlohmann::ordered_json& j);

// The body of the 400 answer to a bad /events query (newline included):
// {"error": "bad request", "parameter": ..., "message": ...}.
std::string query_error_body(const QueryError& err);

}  // namespace nfct
