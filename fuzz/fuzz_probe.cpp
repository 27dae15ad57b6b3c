// The probe parser (config `probes:` entries): an accepted probe's canonical name parses
// back to the same probe; netfilter probes index inside the BPF key space.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "probe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = nfct::parse_probe(text);
  if (!p) {
    FUZZ_CHECK(!p.error().empty());
    return 0;
  }
  auto again = nfct::parse_probe(p->name());
  FUZZ_CHECK(again && *again == *p);
  if (p->kind == nfct::Probe::Kind::Netfilter) FUZZ_CHECK(nfct::nf_probe_index(p->pf, p->hook) < 10);
  return 0;
}
