#include "listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace nfct {

Expected<ListenAddress> parse_listen_address(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error{"listen address '" + std::string(text) + "': " + why};
  };
  // civetweb gets a C string: a NUL inside would cut the port off. (Not echoed either.)
  if (text.find('\0') != std::string_view::npos) return Error{"listen address: contains a NUL byte"};
  if (!text.empty() && text.front() == '[')
    return bad("IPv6 is not supported (Debian's civetweb is built without IPv6)");
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("expected HOST:PORT or :PORT");
  auto host = text.substr(0, colon);
  auto port_s = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (port_s.empty() || ec != std::errc() || p != port_s.data() + port_s.size() || port == 0 ||
      port > 65535)
    return bad("port must be a number from 1 to 65535");
  ListenAddress a;
  a.text = std::string(text);
  a.port = static_cast<uint16_t>(port);
  if (host.empty()) {
    a.host = "0.0.0.0";
  } else if (host == "localhost") {
    a.host = "127.0.0.1";
  } else {
    in_addr addr{};
    std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), &addr) != 1) return bad("host must be an IPv4 address");
    a.host = h;
  }
  return a;
}

}  // namespace nfct
