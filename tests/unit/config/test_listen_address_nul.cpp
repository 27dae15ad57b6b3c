// Found by fuzz/fuzz_listen_address (issue 9 item 4): an embedded NUL byte was accepted,
// and civetweb, reading a C string, then got the host without its port.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "listen_address.h"

using namespace nfct;

TEST_CASE("a listen address with a NUL byte inside is refused") {
  using namespace std::string_view_literals;
  for (auto text : {"1.2.3.4\0junk:80"sv, ":80\0"sv, "\0:80"sv, "127.0.0.1:9\0"sv "747"sv}) {
    CAPTURE(std::string(text));
    auto a = parse_listen_address(text);
    REQUIRE_FALSE(a);
    CHECK(a.error().find("contains a NUL byte") != std::string::npos);
  }
  CHECK(parse_listen_address("1.2.3.4:80"));
}
