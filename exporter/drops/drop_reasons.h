// Names of the kernel's drop reasons (enum skb_drop_reason), read from the running
// kernel's BTF at start-up: the list differs between kernels, so none is compiled in.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "expected.h"

struct btf;

namespace nfct {

// The label of an enumerator: lower case without the SKB_DROP_REASON_ prefix, as perf
// and pwru print them ("SKB_DROP_REASON_NETFILTER_DROP" -> "netfilter_drop"); the two
// values that are not drops keep their own names without "SKB_" ("SKB_CONSUMED" ->
// "consumed").
std::string drop_reason_label(std::string_view enumerator);

class DropReasons {
 public:
  DropReasons() = default;
  // From a BTF object (the kernel's, or one built by a test): the enumerators of
  // `enum skb_drop_reason`. An error when the enum is absent (kernels before 5.17).
  static Expected<DropReasons> from_btf(const btf* b);
  // From /sys/kernel/btf/vmlinux.
  static Expected<DropReasons> from_kernel();

  // The label of a reason value; a value the kernel does not name gets its number.
  std::string label(uint32_t reason) const;
  // The value the running kernel gives a reason label, or -1 (tests, dashboards).
  int64_t value(std::string_view label) const;
  size_t size() const { return names_.size(); }

 private:
  std::map<uint32_t, std::string> names_;
};

}  // namespace nfct
