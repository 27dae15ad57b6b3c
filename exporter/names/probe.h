// Probe specifications: `nf:<ipv4|ipv6>:<hook>` and `tp:<category>:<event>`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"

namespace nfct {

struct Probe {
  // Drop: the drop probe (drop_probe.h), configured by `drops.enabled`, not `probes`;
  // named drop:<category>:<event>.
  enum class Kind { Netfilter, Tracepoint, Drop };
  Kind kind = Kind::Netfilter;
  // Netfilter: NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10), and the hook number 0..4.
  int pf = 0;
  int hook = 0;
  // Tracepoint and Drop.
  std::string category;
  std::string event;

  // The canonical spelling, used in the `probe` label.
  std::string name() const;
  bool operator==(const Probe&) const = default;
};

Expected<Probe> parse_probe(std::string_view text);

// The default probe set of the interface: every tracked packet once, after NAT.
std::vector<Probe> default_probes();

// Index of a netfilter probe in the BPF key space (bpf/nfct.h).
uint8_t nf_probe_index(int pf, int hook);

}  // namespace nfct
