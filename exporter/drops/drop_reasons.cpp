#include "drop_reasons.h"

#include <bpf/btf.h>

#include <cctype>
#include <memory>

namespace nfct {

std::string drop_reason_label(std::string_view e) {
  for (std::string_view prefix : {"SKB_DROP_REASON_", "SKB_"})
    if (e.substr(0, prefix.size()) == prefix) {
      e.remove_prefix(prefix.size());
      break;
    }
  std::string out(e);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Expected<DropReasons> DropReasons::from_btf(const btf* b) {
  if (!b) return Error{"no BTF"};
  // The enum is 32 bits wide today; an ENUM64 (BTF_KIND_ENUM64, libbpf 1.0+) is read too
  // should a kernel widen it. Values above 32 bits cannot be drop reasons of the
  // tracepoint (a u32 in the BPF key) and are left out.
  int id = btf__find_by_name_kind(b, "skb_drop_reason", BTF_KIND_ENUM);
  if (id < 0) id = btf__find_by_name_kind(b, "skb_drop_reason", BTF_KIND_ENUM64);
  if (id < 0) return Error{"the kernel's BTF has no enum skb_drop_reason (drop reasons need Linux 5.17)"};
  const btf_type* t = btf__type_by_id(b, static_cast<uint32_t>(id));
  DropReasons r;
  const uint16_t n = btf_vlen(t);
  for (uint16_t i = 0; i < n; i++) {
    uint64_t value;
    uint32_t name_off;
    if (btf_is_enum(t)) {
      const struct btf_enum* e = btf_enum(t) + i;
      value = static_cast<uint32_t>(e->val);
      name_off = e->name_off;
    } else {
      const struct btf_enum64* e = btf_enum64(t) + i;
      value = btf_enum64_value(e);
      name_off = e->name_off;
    }
    if (value > UINT32_MAX) continue;
    const char* name = btf__name_by_offset(b, name_off);
    if (!name || !*name) continue;
    std::string_view sv(name);
    if (sv == "SKB_DROP_REASON_MAX") continue;  // a bound, not a reason
    // Several enumerators with one value (aliases): the first one names it.
    r.names_.emplace(static_cast<uint32_t>(value), drop_reason_label(sv));
  }
  return r;
}

Expected<DropReasons> DropReasons::from_kernel() {
  std::unique_ptr<btf, decltype(&btf__free)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  if (!vmlinux) return Error{"cannot read the kernel's BTF (/sys/kernel/btf/vmlinux)"};
  return from_btf(vmlinux.get());
}

std::string DropReasons::label(uint32_t reason) const {
  auto it = names_.find(reason);
  return it != names_.end() ? it->second : std::to_string(reason);
}

int64_t DropReasons::value(std::string_view label) const {
  for (const auto& [v, name] : names_)
    if (name == label) return v;
  return -1;
}

}  // namespace nfct
