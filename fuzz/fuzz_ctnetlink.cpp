// A datagram on the ctnetlink socket (any bytes): the reply walk, and each message it
// hands on fed to every parser (per-CPU statistics of both kinds, the global statistics,
// a table entry). Nothing may read outside the datagram, hang or crash.
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "ctnetlink_msg.h"
#include "fuzz_check.h"

namespace {

[[maybe_unused]] constexpr uint32_t kSeq = 0x01020304;  // the corpus' messages carry these
[[maybe_unused]] constexpr uint32_t kPort = 0x0a0b0c0d;

std::optional<std::string> parse_all(const nlmsghdr* nlh) {
  (void)nfct::parse_stat_cpu(nlh, false);
  (void)nfct::parse_stat_cpu(nlh, true);
  (void)nfct::parse_global_stats(nlh);
  if (auto k = nfct::parse_ct_entry(nlh)) FUZZ_CHECK(k->zone_dir >= 1 && k->zone_dir <= 3);
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The receive buffer is aligned for nlmsghdr (operator new); libFuzzer's copy is too, but
  // that is not promised. Exactly `size` bytes, so that ASan sees any read past them.
  auto buf = std::make_unique<uint8_t[]>(size);
  if (size) std::memcpy(buf.get(), data, size);
#ifdef NFCT_FUZZ_SELFTEST_NO_WALK
  // Self-test only (fuzz/selftest.sh): the length checks of walk_reply() left out, the
  // first message handed to the parsers as it comes. On a header that claims more bytes
  // than the datagram holds (seed header_only) they read past it: ASan must report it.
  if (size >= sizeof(nlmsghdr)) parse_all(reinterpret_cast<const nlmsghdr*>(buf.get()));
#else
  auto walk = nfct::walk_reply(buf.get(), size, kSeq, kPort, parse_all);
  FUZZ_CHECK(walk.status == nfct::ReplyStatus::More || walk.status == nfct::ReplyStatus::Done ||
             !walk.error.empty());
#endif
  return 0;
}
