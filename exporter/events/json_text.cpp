#include "json_text.h"

namespace nfct {

std::string json_text(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string query_error_body(const QueryError& err) {
  nlohmann::ordered_json body{{"error", "bad request"}, {"parameter", err.parameter}, {"message", err.message}};
  return json_text(body) + "\n";
}

}  // namespace nfct
