// The /events error body (exporter/json_text.h) on the bytes of issue 9 item 1.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <variant>

#include "events_query.h"
#include "json_text.h"

using namespace nfct;

TEST_CASE("the 400 body of a query whose parameter name is not UTF-8 is valid JSON") {
  for (const char* query : {"%ff", "f%f2=1", "%c3=1&%c3=2"}) {
    CAPTURE(query);
    auto parsed = parse_events_query(query);
    REQUIRE(std::holds_alternative<QueryError>(parsed));
    std::string body;
    CHECK_NOTHROW(body = query_error_body(std::get<QueryError>(parsed)));
    REQUIRE(!body.empty());
    CHECK(body.back() == '\n');
    auto j = nlohmann::json::parse(body);  // strict: throws on invalid UTF-8
    CHECK(j["error"] == "bad request");
    CHECK(j["parameter"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
  }
}
