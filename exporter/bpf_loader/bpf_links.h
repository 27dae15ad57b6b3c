// BPF link creation that libbpf 1.1 lacks: netfilter links (kernel 6.4) and raw
// tracepoint links with a BPF cookie (kernel 6.10). Each is one bpf(2) call with an
// attribute layout defined here, because the installed UAPI headers (6.1) predate both.
#pragma once

#include <cstdint>
#include <string>

#include "expected.h"
#include "unique_fd.h"

namespace nfct {

inline constexpr int kBpfProgTypeNetfilter = 32;  // BPF_PROG_TYPE_NETFILTER
inline constexpr int kBpfAttachNetfilter = 45;    // BPF_NETFILTER
// After conntrack (-200) and NAT (-100, 100), before confirmation: IPv4 confirms at
// INT_MAX, IPv6 at INT_MAX - 1 (NF_IP6_PRI_LAST - 1). The kernel refuses a BPF hook at
// the priority of any hook already there (EBUSY), so INT_MAX - 1 would collide with
// IPv6 conntrack; INT_MAX - 2 runs after everything else.
inline constexpr int32_t kNetfilterPriority = 2147483645;

// The attribute of BPF_LINK_CREATE for a netfilter link (union bpf_attr.link_create).
struct NetfilterLinkAttr {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint32_t pf;
  uint32_t hooknum;
  int32_t priority;
  uint32_t nf_flags;
};
static_assert(sizeof(NetfilterLinkAttr) == 32);

// The attribute of BPF_RAW_TRACEPOINT_OPEN with a cookie (union bpf_attr.raw_tracepoint).
struct RawTracepointAttr {
  uint64_t name;
  uint32_t prog_fd;
  uint32_t pad;
  uint64_t cookie;
};
static_assert(sizeof(RawTracepointAttr) == 24);

NetfilterLinkAttr make_netfilter_link_attr(int prog_fd, int pf, int hooknum, int32_t priority);
RawTracepointAttr make_raw_tracepoint_attr(int prog_fd, const char* name, uint64_t cookie);

// Creates a netfilter link in the calling thread's network namespace.
Expected<UniqueFd> create_netfilter_link(int prog_fd, int pf, int hooknum,
                                         int32_t priority = kNetfilterPriority);
// Attaches a raw tracepoint program to `event`; the program reads `cookie` with
// bpf_get_attach_cookie().
Expected<UniqueFd> create_raw_tracepoint_link(int prog_fd, const std::string& event, uint64_t cookie);

}  // namespace nfct
