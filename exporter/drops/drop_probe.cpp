#include "drop_probe.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "drop.h"
#include "drop.skel.h"
#include "error.h"
#include "log.h"

namespace nfct {
namespace {

std::string errstr(int err) { return std::strerror(err < 0 ? -err : err); }

// The kernel's BTF id of struct nf_conn (see nfct.bpf.c), or 0 to read through probes.
uint32_t nf_conn_btf_id(const btf* vmlinux) {
  int id = vmlinux ? btf__find_by_name_kind(vmlinux, "nf_conn", BTF_KIND_STRUCT) : -1;
  return id > 0 ? static_cast<uint32_t>(id) : 0;
}

// Why the running kernel cannot take the probe, or "" when it can: the BTF-typed
// tracepoint needs `btf_trace_kfree_skb` with the reason argument (Linux 5.17+).
std::string kernel_support(const btf* vmlinux) {
  if (!vmlinux) return "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux)";
  if (btf__find_by_name_kind(vmlinux, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF) < 0)
    return "the kernel has no skb:kfree_skb tracepoint in its BTF";
  if (btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM) < 0 &&
      btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM64) < 0)
    return "the kernel has no drop reasons (enum skb_drop_reason, Linux 5.17)";
  return "";
}

}  // namespace

Probe drop_probe() {
  Probe p;
  p.kind = Probe::Kind::Drop;
  p.category = "skb";
  p.event = "kfree_skb";
  return p;
}

void DropProgram::SkelDeleter::operator()(drop_bpf* s) const { drop_bpf__destroy(s); }
void DropProgram::LinkDeleter::operator()(bpf_link* l) const { bpf_link__destroy(l); }

DropProgram::DropProgram(uint32_t max_entries, uint32_t slots, int overflow_fd, size_t tracepoint_probes,
                         bool attach) {
  if (tracepoint_probes >= NFCT_MAX_PROBES - NFCT_TP_PROBE_BASE) {
    error_ = "the configuration uses every probe index for tracepoints; list fewer than " +
             std::to_string(NFCT_MAX_PROBES - NFCT_TP_PROBE_BASE) + " for the drop probe";
    return;
  }
  std::unique_ptr<btf, decltype(&btf__free)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  error_ = kernel_support(vmlinux.get());
  if (!error_.empty()) return;

  std::unique_ptr<drop_bpf, SkelDeleter> skel(drop_bpf__open());
  if (!skel) {
    error_ = "cannot open the drop program: " + errstr(errno);
    return;
  }
  skel->rodata->nf_conn_btf_id = nf_conn_btf_id(vmlinux.get());
  bpf_map__set_max_entries(skel->maps.drops, max_entries);
  // The counting table, as the counter table (CounterPrograms): keys, and counts per CPU.
  const int ncpus = libbpf_num_possible_cpus();
  auto t = table_size(slots, ncpus, "drops.slots");
  if (!t) {
    error_ = t.error();
    return;
  }
  bpf_map__set_max_entries(skel->maps.drop_slot_keys, t->nslots);
  bpf_map__set_max_entries(skel->maps.drop_slot_counts, t->count_cells);
  skel->rodata->slots_on = t->on;
  skel->rodata->nslots = t->nslots;
  skel->rodata->slot_shift = t->shift;
  // One overflow map for every probe: nfct_map_overflow_* reads it (bpf/drop.h).
  if (int err = bpf_map__reuse_fd(skel->maps.overflow, overflow_fd)) {
    error_ = "cannot share the overflow map: " + errstr(err);
    return;
  }
  if (int err = drop_bpf__load(skel.get())) {
    error_ = "the drop program does not load on this kernel: " + errstr(err);
    return;
  }
  if (slots) {
    try {
      table_ = std::make_unique<CountingTable>(bpf_map__fd(skel->maps.drop_slot_keys),
                                               bpf_map__fd(skel->maps.drop_slot_counts), slots, ncpus);
    } catch (const FatalError& e) {
      error_ = e.what();
      return;
    }
  }
  skel_ = std::move(skel);
  if (!attach) return;
  bpf_link* link = bpf_program__attach(skel_->progs.nfct_drop);
  if (!link) {
    error_ = "cannot attach to skb:kfree_skb: " + errstr(errno);
    return;
  }
  link_.reset(link);
  spdlog::info("probe {} attached", drop_probe().name());
}

DropProgram::~DropProgram() = default;

int DropProgram::drops_fd() const { return skel_ ? bpf_map__fd(skel_->maps.drops) : -1; }

ProbeState DropProgram::state() const {
  ProbeState s;
  s.probe = drop_probe();
  s.index = NFCT_DROP_PROBE_INDEX;
  s.tracepoint_attached = attached();
  if (!s.tracepoint_attached) {
    s.attach_failures = 1;
    s.last_error = error_;
  }
  return s;
}

void DropProgram::detach() { link_.reset(); }

}  // namespace nfct
