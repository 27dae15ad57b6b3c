// Found by fuzz/fuzz_event_record (issue 9 item 4): a corrupt record's stamp plus the
// clock offset overflowed int64 (undefined behaviour; UBSan in the fuzz build).
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "event_decode.h"

using namespace nfct;

namespace {

nfct_event valid_record(uint64_t ts_ns) {
  nfct_event rec{};
  rec.ts_ns = ts_ns;
  rec.base.orig.l3num = 2;
  rec.base.reply.l3num = 2;
  return rec;
}

}  // namespace

TEST_CASE("decode: a stamp that overflows with the clock offset is an error, not UB") {
  const std::map<uint8_t, std::string> names;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto high = decode_event(valid_record(static_cast<uint64_t>(kMax)), names, int64_t{1} << 62);
  REQUIRE_FALSE(high);
  CHECK(high.error().find("out of range") != std::string::npos);
  auto low = decode_event(valid_record(uint64_t{1} << 63), names, -1);  // INT64_MIN - 1
  CHECK_FALSE(low);
  // The edges that fit are still events.
  auto edge = decode_event(valid_record(static_cast<uint64_t>(kMax) - 5), names, 5);
  REQUIRE(edge);
  CHECK(edge->time_ns == kMax);
  auto usual = decode_event(valid_record(1'000), names, 1'700'000'000'000'000'000);
  REQUIRE(usual);
  CHECK(usual->time_ns == 1'700'000'000'000'001'000);
}
