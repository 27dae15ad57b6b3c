// A ring buffer record as the BPF program writes it (struct nfct_event, any bytes) and the
// clock offset, decoded, then written by both formatters: the JSON of /events (strict
// dump(): the exporter's own strings must be valid UTF-8) and the text line.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "event_decode.h"
#include "event_format.h"
#include "fuzz_check.h"
#include "json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nfct_event rec;
  int64_t offset = 0;
  if (size < sizeof rec + sizeof offset) return 0;
  std::memcpy(&rec, data, sizeof rec);
  std::memcpy(&offset, data + sizeof rec, sizeof offset);
  static const std::map<uint8_t, std::string> names = {{0, "nf:ipv4:prerouting"}, {1, "nf:ipv4:input"},
                                                       {10, "tp:nf_conntrack:ct_event"}};
  auto ev = nfct::decode_event(rec, names, offset);
  if (!ev) {
    FUZZ_CHECK(!ev.error().empty());
    return 0;
  }
  nlohmann::ordered_json j = nfct::event_to_json(*ev);
  std::string strict = j.dump();
  FUZZ_CHECK(strict == nfct::json_text(j));
  FUZZ_CHECK(!nlohmann::json::parse(strict, nullptr, false).is_discarded());
  std::string text = nfct::event_to_text(*ev);
  FUZZ_CHECK(!text.empty() && text.back() != '\n');
  return 0;
}
