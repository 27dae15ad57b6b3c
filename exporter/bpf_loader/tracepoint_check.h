// Whether a kernel tracepoint exists and takes a struct sk_buff * as its first argument,
// from the kernel's BTF (the `btf_trace_<event>` typedef) and, when tracefs is
// mounted, its category directory.
#pragma once

#include <optional>
#include <string>

#include "probe.h"

namespace nfct {

// nullopt when usable, else the reason.
std::optional<std::string> check_skb_tracepoint(const Probe& probe);

}  // namespace nfct
