// `--web.listen-address`: HOST:PORT as Prometheus exporters write it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "expected.h"

namespace nfct {

struct ListenAddress {
  std::string text;  // as given
  std::string host;  // IPv4 literal; "0.0.0.0" when the host part is empty
  uint16_t port = 0;
  // The civetweb `listening_ports` value.
  std::string civetweb_port() const { return host + ":" + std::to_string(port); }
};

// Accepts ":PORT", "IPV4:PORT" and "localhost:PORT". Debian's civetweb is built
// without IPv6, so bracketed IPv6 hosts are refused with that reason.
Expected<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace nfct
