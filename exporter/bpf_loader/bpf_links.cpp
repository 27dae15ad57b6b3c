#include "bpf_links.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nfct {
namespace {

constexpr int kBpfRawTracepointOpen = 17;  // BPF_RAW_TRACEPOINT_OPEN
constexpr int kBpfLinkCreate = 28;         // BPF_LINK_CREATE

template <class Attr>
Expected<UniqueFd> bpf_call(int cmd, Attr& attr, const std::string& what) {
  long fd = syscall(__NR_bpf, cmd, &attr, sizeof attr);
  if (fd < 0) return Error{what + ": " + std::strerror(errno)};
  return UniqueFd(static_cast<int>(fd));
}

}  // namespace

NetfilterLinkAttr make_netfilter_link_attr(int prog_fd, int pf, int hooknum, int32_t priority) {
  NetfilterLinkAttr a{};
  a.prog_fd = static_cast<uint32_t>(prog_fd);
  a.attach_type = kBpfAttachNetfilter;
  a.pf = static_cast<uint32_t>(pf);
  a.hooknum = static_cast<uint32_t>(hooknum);
  a.priority = priority;
  return a;
}

RawTracepointAttr make_raw_tracepoint_attr(int prog_fd, const char* name, uint64_t cookie) {
  RawTracepointAttr a{};
  a.name = reinterpret_cast<uintptr_t>(name);
  a.prog_fd = static_cast<uint32_t>(prog_fd);
  a.cookie = cookie;
  return a;
}

Expected<UniqueFd> create_netfilter_link(int prog_fd, int pf, int hooknum, int32_t priority) {
  auto attr = make_netfilter_link_attr(prog_fd, pf, hooknum, priority);
  return bpf_call(kBpfLinkCreate, attr, "netfilter link");
}

Expected<UniqueFd> create_raw_tracepoint_link(int prog_fd, const std::string& event, uint64_t cookie) {
  auto attr = make_raw_tracepoint_attr(prog_fd, event.c_str(), cookie);
  return bpf_call(kBpfRawTracepointOpen, attr, "raw tracepoint '" + event + "'");
}

}  // namespace nfct
