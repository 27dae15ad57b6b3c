#include "probe.h"

#include <array>

#include "nfct.h"

namespace nfct {
namespace {

constexpr int kNfprotoIpv4 = 2;
constexpr int kNfprotoIpv6 = 10;
constexpr std::array<std::string_view, 5> kHooks = {"prerouting", "input", "forward", "output",
                                                      "postrouting"};

bool valid_tracefs_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace

std::string Probe::name() const {
  if (kind == Kind::Tracepoint) return "tp:" + category + ":" + event;
  if (kind == Kind::Drop) return "drop:" + category + ":" + event;
  return std::string("nf:") + (pf == kNfprotoIpv6 ? "ipv6" : "ipv4") + ":" +
         std::string(kHooks.at(hook));
}

Expected<Probe> parse_probe(std::string_view text) {
  auto first = text.find(':');
  auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos || text.find(':', second + 1) != std::string_view::npos)
    return Error{"probe '" + std::string(text) +
                 "': expected nf:<ipv4|ipv6>:<hook> or tp:<category>:<event>"};
  auto kind = text.substr(0, first);
  auto a = text.substr(first + 1, second - first - 1);
  auto b = text.substr(second + 1);
  Probe p;
  if (kind == "nf") {
    if (a == "ipv4") {
      p.pf = kNfprotoIpv4;
    } else if (a == "ipv6") {
      p.pf = kNfprotoIpv6;
    } else {
      return Error{"probe '" + std::string(text) + "': family '" + std::string(a) +
                   "' is not ipv4 or ipv6"};
    }
    for (size_t i = 0; i < kHooks.size(); i++)
      if (kHooks[i] == b) {
        p.hook = static_cast<int>(i);
        return p;
      }
    return Error{"probe '" + std::string(text) + "': hook '" + std::string(b) +
                 "' is not prerouting, input, forward, output or postrouting"};
  }
  if (kind == "tp") {
    if (!valid_tracefs_name(a) || !valid_tracefs_name(b))
      return Error{"probe '" + std::string(text) +
                   "': tracepoint category and event must be [A-Za-z0-9_]+"};
    p.kind = Probe::Kind::Tracepoint;
    p.category = std::string(a);
    p.event = std::string(b);
    return p;
  }
  return Error{"probe '" + std::string(text) + "': kind '" + std::string(kind) +
               "' is not nf or tp"};
}

std::vector<Probe> default_probes() {
  std::vector<Probe> v;
  for (auto s : {"nf:ipv4:input", "nf:ipv4:postrouting", "nf:ipv6:input", "nf:ipv6:postrouting"})
    v.push_back(parse_probe(s).value());
  return v;
}

uint8_t nf_probe_index(int pf, int hook) {
  return static_cast<uint8_t>(NFCT_NF_PROBE_INDEX(pf == kNfprotoIpv6, hook));
}

}  // namespace nfct
