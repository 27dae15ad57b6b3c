#include "tracepoint_check.h"

#include <bpf/btf.h>
#include <sys/stat.h>

#include <memory>

namespace nfct {
namespace {

const btf_type* skip_mods(const btf* b, uint32_t id, uint32_t* out_id = nullptr) {
  const btf_type* t = btf__type_by_id(b, id);
  while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
    id = t->type;
    t = btf__type_by_id(b, id);
  }
  if (out_id) *out_id = id;
  return t;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::optional<std::string> check_skb_tracepoint(const Probe& probe) {
  const std::string name = probe.name();
  for (const char* root : {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"}) {
    if (!exists(root)) continue;
    if (!exists(std::string(root) + "/" + probe.category + "/" + probe.event))
      return name + ": no such tracepoint (" + root + "/" + probe.category + "/" + probe.event + ")";
    break;
  }
  std::unique_ptr<btf, decltype(&btf__free)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  if (!vmlinux) return name + ": cannot read the kernel's BTF";
  const std::string tname = "btf_trace_" + probe.event;
  int id = btf__find_by_name_kind(vmlinux.get(), tname.c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return name + ": no such tracepoint in the kernel";
  const btf_type* ptr = skip_mods(vmlinux.get(), static_cast<uint32_t>(id));
  const btf_type* proto = ptr && btf_is_ptr(ptr) ? skip_mods(vmlinux.get(), ptr->type) : nullptr;
  // The first parameter is the tracepoint's context; the second is its first argument.
  if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) < 2)
    return name + ": the tracepoint has no arguments";
  const btf_type* arg = skip_mods(vmlinux.get(), btf_params(proto)[1].type);
  const btf_type* pointee = arg && btf_is_ptr(arg) ? skip_mods(vmlinux.get(), arg->type) : nullptr;
  if (!pointee || !btf_is_struct(pointee) ||
      std::string(btf__name_by_offset(vmlinux.get(), pointee->name_off)) != "sk_buff")
    return name + ": the first argument is not a struct sk_buff *";
  return std::nullopt;
}

}  // namespace nfct
