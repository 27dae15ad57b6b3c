// The --web.listen-address / web.listen_address parser: an accepted address has a port
// from 1 to 65535 and a host that parses again, and gives civetweb a HOST:PORT that this
// parser accepts too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "listen_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto a = nfct::parse_listen_address(text);
  if (!a) {
    FUZZ_CHECK(!a.error().empty());
    return 0;
  }
  FUZZ_CHECK(a->port != 0);
  // civetweb gets a C string: a NUL inside would cut it short ("1.2.3.4\0junk:80" gave
  // civetweb "1.2.3.4" without a port).
  FUZZ_CHECK(a->civetweb_port().find('\0') == std::string::npos);
  auto again = nfct::parse_listen_address(a->civetweb_port());
  FUZZ_CHECK(again && again->host == a->host && again->port == a->port);
  return 0;
}
