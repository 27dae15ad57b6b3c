// Label values from arbitrary bytes (namespace names, command names).
#pragma once

#include <string>
#include <string_view>

namespace nfct {

// The bytes as valid UTF-8: each byte that is not part of a well-formed UTF-8 sequence
// becomes U+FFFD. Prometheus rejects a whole scrape whose label value is not UTF-8;
// quotes, backslashes and newlines stay as they are (the text serializer escapes them).
std::string utf8_label_value(std::string_view bytes);

}  // namespace nfct
