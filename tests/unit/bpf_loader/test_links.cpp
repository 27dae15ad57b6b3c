// bpf(2) attribute layouts (exporter/bpf_links.h) and the key/value layouts shared with
// the BPF programs (bpf/nfct.h).
#include <doctest/doctest.h>

#include <linux/bpf.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bpf_links.h"
#include "nfct.h"

using nfct::NetfilterLinkAttr;
using nfct::RawTracepointAttr;

namespace {

template <class T>
uint32_t u32_at(const T& attr, size_t offset) {
  REQUIRE(offset + 4 <= sizeof(T));
  uint32_t v;
  std::memcpy(&v, reinterpret_cast<const unsigned char*>(&attr) + offset, 4);
  return v;
}

template <class T>
uint64_t u64_at(const T& attr, size_t offset) {
  REQUIRE(offset + 8 <= sizeof(T));
  uint64_t v;
  std::memcpy(&v, reinterpret_cast<const unsigned char*>(&attr) + offset, 8);
  return v;
}

}  // namespace

TEST_SUITE("bpf links") {

TEST_CASE("netfilter link: union bpf_attr.link_create layout") {
  // link_create: prog_fd@0, target_fd@4, attach_type@8, flags@12,
  // netfilter { pf@16, hooknum@20, priority@24, flags@28 }.
  CHECK(sizeof(NetfilterLinkAttr) == 32);
  CHECK(offsetof(NetfilterLinkAttr, prog_fd) == 0);
  CHECK(offsetof(NetfilterLinkAttr, target_fd) == 4);
  CHECK(offsetof(NetfilterLinkAttr, attach_type) == 8);
  CHECK(offsetof(NetfilterLinkAttr, flags) == 12);
  CHECK(offsetof(NetfilterLinkAttr, pf) == 16);
  CHECK(offsetof(NetfilterLinkAttr, hooknum) == 20);
  CHECK(offsetof(NetfilterLinkAttr, priority) == 24);
  CHECK(offsetof(NetfilterLinkAttr, nf_flags) == 28);
  // The part the installed (older) UAPI header already has must agree with it.
  CHECK(offsetof(union bpf_attr, link_create.prog_fd) == 0);
  CHECK(offsetof(union bpf_attr, link_create.target_fd) == 4);
  CHECK(offsetof(union bpf_attr, link_create.attach_type) == 8);
  CHECK(offsetof(union bpf_attr, link_create.flags) == 12);
}

TEST_CASE("make_netfilter_link_attr: bytes as the kernel reads them") {
  const NetfilterLinkAttr a = nfct::make_netfilter_link_attr(17, 10, 4, nfct::kNetfilterPriority);
  CHECK(u32_at(a, 0) == 17u);        // prog_fd
  CHECK(u32_at(a, 4) == 0u);         // target_fd: unused, must be 0
  CHECK(u32_at(a, 8) == 45u);        // attach_type: BPF_NETFILTER
  CHECK(u32_at(a, 12) == 0u);        // link flags: must be 0
  CHECK(u32_at(a, 16) == 10u);       // pf: NFPROTO_IPV6
  CHECK(u32_at(a, 20) == 4u);        // hooknum: NF_INET_POST_ROUTING
  CHECK(u32_at(a, 24) == 2147483645u);  // priority: INT_MAX - 2, below IPv6 confirmation
  CHECK(u32_at(a, 28) == 0u);        // netfilter flags: no IP defrag

  const NetfilterLinkAttr b = nfct::make_netfilter_link_attr(3, 2, 0, -150);
  CHECK(u32_at(b, 0) == 3u);
  CHECK(u32_at(b, 16) == 2u);  // NFPROTO_IPV4
  CHECK(u32_at(b, 20) == 0u);  // NF_INET_PRE_ROUTING
  int32_t prio;
  std::memcpy(&prio, reinterpret_cast<const unsigned char*>(&b) + 24, 4);
  CHECK(prio == -150);
  CHECK(u32_at(b, 4) == 0u);
  CHECK(u32_at(b, 12) == 0u);
  CHECK(u32_at(b, 28) == 0u);
}

TEST_CASE("netfilter constants") {
  CHECK(nfct::kBpfProgTypeNetfilter == 32);  // BPF_PROG_TYPE_NETFILTER
  CHECK(nfct::kBpfAttachNetfilter == 45);    // BPF_NETFILTER
  // The kernel refuses NF_IP_PRI_FIRST and NF_IP_PRI_LAST; conntrack confirmation runs at
  // INT_MAX, so the hook must run after NAT (100) and before it.
  CHECK(nfct::kNetfilterPriority != INT_MAX);
  CHECK(nfct::kNetfilterPriority != INT_MIN);
  CHECK(nfct::kNetfilterPriority > 100);
  CHECK(nfct::kNetfilterPriority < INT_MAX);
  // Values the installed UAPI header already knows must match it.
  CHECK(nfct::kBpfProgTypeNetfilter > BPF_PROG_TYPE_SYSCALL);
  CHECK(nfct::kBpfAttachNetfilter > BPF_PERF_EVENT);
}

TEST_CASE("raw tracepoint: union bpf_attr.raw_tracepoint layout") {
  // raw_tracepoint: name@0, prog_fd@8, (pad)@12, cookie@16.
  CHECK(sizeof(RawTracepointAttr) == 24);
  CHECK(offsetof(RawTracepointAttr, name) == 0);
  CHECK(offsetof(RawTracepointAttr, prog_fd) == 8);
  CHECK(offsetof(RawTracepointAttr, cookie) == 16);
  CHECK(offsetof(union bpf_attr, raw_tracepoint.name) == 0);
  CHECK(offsetof(union bpf_attr, raw_tracepoint.prog_fd) == 8);
}

TEST_CASE("make_raw_tracepoint_attr: bytes as the kernel reads them") {
  static const char event[] = "net_dev_start_xmit";
  const RawTracepointAttr a = nfct::make_raw_tracepoint_attr(9, event, 0x1122334455667788ull);
  CHECK(u64_at(a, 0) == reinterpret_cast<uintptr_t>(event));  // name: a user pointer
  CHECK(u32_at(a, 8) == 9u);                                   // prog_fd
  CHECK(u32_at(a, 12) == 0u);                                  // padding: must be 0
  CHECK(u64_at(a, 16) == 0x1122334455667788ull);               // cookie

  const RawTracepointAttr b = nfct::make_raw_tracepoint_attr(4, event, 0);
  CHECK(u32_at(b, 8) == 4u);
  CHECK(u32_at(b, 12) == 0u);
  CHECK(u64_at(b, 16) == 0u);
}

TEST_CASE("nfct_key: 12 bytes without implicit padding") {
  CHECK(sizeof(nfct_key) == 12);
  CHECK(offsetof(nfct_key, netns) == 0);
  CHECK(offsetof(nfct_key, zone) == 4);
  CHECK(offsetof(nfct_key, zone_dir) == 6);
  CHECK(offsetof(nfct_key, probe) == 7);
  CHECK(offsetof(nfct_key, state) == 8);
  CHECK(offsetof(nfct_key, pad) == 9);
  CHECK(offsetof(nfct_key, status) == 10);
  CHECK(sizeof(nfct_key::status) == 2);  // IPS_*_BIT 0..15
}

TEST_CASE("nfct_value and nfct_overflow layouts") {
  CHECK(sizeof(nfct_value) == 16);
  CHECK(offsetof(nfct_value, packets) == 0);
  CHECK(offsetof(nfct_value, bytes) == 8);
  CHECK(sizeof(nfct_overflow) == 16);
  CHECK(offsetof(nfct_overflow, packets) == 0);
  CHECK(offsetof(nfct_overflow, bytes) == 8);
}

TEST_CASE("shared constants") {
  CHECK(NFCT_NF_PROBES == 10);
  CHECK(NFCT_TP_PROBE_BASE == 10);
  CHECK(NFCT_MAX_PROBES == 64);
  CHECK(NFCT_MAX_PROBES <= 256);       // the probe byte of the key
  CHECK(NFCT_STATE_UNTRACKED == 7);    // IP_CT_UNTRACKED
  CHECK(NFCT_CTINFO_MASK == 7);        // NFCT_INFOMASK
  CHECK(NFCT_STATE_NO_CT > NFCT_CTINFO_MASK);  // cannot collide with a ctinfo
  CHECK(NFCT_STATUS_BITS == 16);
}

}  // TEST_SUITE
