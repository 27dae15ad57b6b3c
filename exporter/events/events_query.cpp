#include "events_query.h"

#include <charconv>
#include <map>
#include <variant>

#include "ct_names.h"
#include "event_format.h"

namespace nfct {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding ('+' is a space) that refuses a '%' not followed by two hex digits.
// Not civetweb's mg_url_decode(): it copies such a '%' through as it is (checked against
// civetweb 1.15: "%zz" -> "%zz", "%4" -> "%4"), so the check would stay here anyway, and
// this layer sits below the HTTP one that links civetweb.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) return std::nullopt;
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

template <class T>
std::optional<T> to_uint(const std::string& s, T max) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace

std::variant<EventsQuery, QueryError> parse_events_query(std::string_view query) {
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto name = percent_decode(part.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!name || !value) return QueryError{"", "malformed percent-encoding in the query string"};
    if (!params.emplace(*name, *value).second) return QueryError{*name, "given more than once"};
  }

  EventsQuery q;
  bool format_given = false;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      auto v = to_uint<size_t>(value, kMaxEventsLimit);
      if (!v || *v == 0)
        return QueryError{name, "expected an integer from 1 to " + std::to_string(kMaxEventsLimit)};
      q.limit = *v;
      q.limit_given = true;
    } else if (name == "format") {
      format_given = true;
      if (value == "json") q.format = EventFormat::Json;
      else if (value == "ndjson") q.format = EventFormat::Ndjson;
      else if (value == "text") q.format = EventFormat::Text;
      else return QueryError{name, "expected json, ndjson or text"};
    } else if (name == "state") {
      auto s = ct_state_from_name(value);
      if (!s) return QueryError{name, "expected established, related, new, reply, related_reply or untracked"};
      q.filter.state = *s;
    } else if (name == "zone") {
      auto v = to_uint<uint32_t>(value, 65535);
      if (!v) return QueryError{name, "expected a zone id from 0 to 65535"};
      q.filter.zone = static_cast<uint16_t>(*v);
    } else if (name == "proto") {
      auto p = ct_proto_from_name(value);
      if (!p) return QueryError{name, "expected tcp, udp, icmp, icmpv6 or sctp"};
      q.filter.protonum = *p;
    } else if (name == "netns") {
      auto v = to_uint<uint64_t>(value, UINT32_MAX);
      if (!v) return QueryError{name, "expected a network namespace inode number"};
      q.filter.netns = *v;
    } else if (name == "follow") {
      if (value == "1") q.follow = true;
      else if (value == "0") q.follow = false;
      else return QueryError{name, "expected 1 or 0"};
    } else {
      return QueryError{name, "unknown parameter (expected limit, format, state, zone, proto, netns or follow)"};
    }
  }
  if (q.follow) {
    if (format_given && q.format == EventFormat::Json)
      return QueryError{"format", "follow=1 streams ndjson or text, not json"};
    if (!format_given) q.format = EventFormat::Ndjson;
  }
  return q;
}

}  // namespace nfct
