// Bytes that must be refused: NUL in listen addresses and namespace paths, event times
// out of range (issue 9, item 4).
#include <doctest/doctest.h>

#include <climits>
#include <string>

#include "config.h"
#include "event_decode.h"
#include "listen_address.h"

using namespace std::string_literals;

TEST_CASE("listen address: an embedded NUL byte is refused, and shown escaped") {
  auto a = nfct::parse_listen_address("1.2.3.4\0junk:80"s);
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error() == "listen address '1.2.3.4\\0junk:80': contains a NUL byte");
  CHECK(a.error().find('\0') == std::string::npos);
  CHECK_FALSE(nfct::parse_listen_address(":80\0"s).has_value());
  CHECK(nfct::parse_listen_address("1.2.3.4:80").has_value());
}

TEST_CASE("config: NUL bytes in web.listen_address and netns entries are refused") {
  auto error = [](const std::string& yaml) {
    try {
      nfct::parse_config(yaml, "t.yaml");
    } catch (const nfct::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error("web:\n  listen_address: \"1.2.3.4\\0junk:80\"\n") ==
        "t.yaml:2:19: listen address '1.2.3.4\\0junk:80': contains a NUL byte");
  CHECK(error("netns:\n  - \"/run/netns/a\\0b\"\n") == "t.yaml:2:5: netns: entry contains a NUL byte");
  CHECK(error("netns:\n  - \"/run/netns/ab\"\n").empty());
}

TEST_CASE("event time: monotonic stamp plus offset, refused when out of range") {
  CHECK(*nfct::wall_time_ns(1'000, 5'000) == 6'000);
  CHECK(*nfct::wall_time_ns(10, -3) == 7);
  CHECK(*nfct::wall_time_ns(LLONG_MAX, 0) == LLONG_MAX);
  CHECK_FALSE(nfct::wall_time_ns(LLONG_MAX, 1).has_value());               // sum overflows
  CHECK_FALSE(nfct::wall_time_ns(static_cast<uint64_t>(LLONG_MAX) + 1, -5).has_value());  // above int64
  CHECK_FALSE(nfct::wall_time_ns(~0ull, 0).has_value());
  CHECK(nfct::wall_time_ns(~0ull, 0).error().find("out of range") != std::string::npos);

  nfct_event rec{};
  rec.ts_ns = ~0ull;  // a corrupt record: rejected (counted as a decode error), not wrapped
  rec.state = 2;
  CHECK_FALSE(nfct::decode_event(rec, {}, 1).has_value());
}
