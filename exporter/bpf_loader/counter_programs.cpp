#include "counter_programs.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>

#include "bpf_links.h"
#include "counting_table.h"
#include "error.h"
#include "log.h"
#include "nfct.h"  // before the skeleton: its .bss names struct nfct_cpu_hot
#include "nfct.skel.h"

namespace nfct {
namespace {

std::string errstr(int err) { return std::strerror(err < 0 ? -err : err); }

// The kernel's BTF ids of struct nf_conn and struct sk_buff (see nfct.bpf.c), 0 where
// unknown: the programs then read those through probes.
struct KernelStructIds {
  uint32_t nf_conn = 0;
  uint32_t sk_buff = 0;
};
KernelStructIds kernel_struct_ids() {
  KernelStructIds ids;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return ids;
  int id = btf__find_by_name_kind(vmlinux, "nf_conn", BTF_KIND_STRUCT);
  if (id > 0) ids.nf_conn = static_cast<uint32_t>(id);
  id = btf__find_by_name_kind(vmlinux, "sk_buff", BTF_KIND_STRUCT);
  if (id > 0) ids.sk_buff = static_cast<uint32_t>(id);
  btf__free(vmlinux);
  return ids;
}

// Returns the loaded skeleton, or nullptr with `err` set to the negative errno.
nfct_bpf* open_and_load(const ProgramOptions& opts, const TableSize& t, bool with_tp, int& err) {
  nfct_bpf* skel = nfct_bpf__open();
  if (!skel) {
    err = -errno;
    return nullptr;
  }
  // libbpf 1.1 cannot guess a type for SEC("netfilter"): set it by hand.
  bpf_program__set_type(skel->progs.nfct_nf, static_cast<bpf_prog_type>(kBpfProgTypeNetfilter));
  bpf_program__set_expected_attach_type(skel->progs.nfct_nf,
                                        static_cast<bpf_attach_type>(kBpfAttachNetfilter));
  bpf_program__set_autoload(skel->progs.nfct_tp, with_tp);
  const KernelStructIds ids = kernel_struct_ids();
  skel->rodata->nf_conn_btf_id = ids.nf_conn;
  skel->rodata->sk_buff_btf_id = ids.sk_buff;
  bpf_map__set_max_entries(skel->maps.counters, opts.max_entries);
  // The table: slot_keys holds the slots, slot_counts one row of them per possible CPU
  // (bpf_get_smp_processor_id() is below that count).
  bpf_map__set_max_entries(skel->maps.slot_keys, t.nslots);
  bpf_map__set_max_entries(skel->maps.slot_counts, t.count_cells);
  skel->rodata->slots_on = t.on;
  skel->rodata->nslots = t.nslots;
  skel->rodata->slot_shift = t.shift;
  bpf_map__set_max_entries(skel->maps.events, opts.ring_buffer_bytes);
  skel->rodata->sample_rate = opts.sample_rate;
  err = nfct_bpf__load(skel);
  if (err) {
    nfct_bpf__destroy(skel);
    return nullptr;
  }
  return skel;
}

}  // namespace

void CounterPrograms::Deleter::operator()(nfct_bpf* s) const { nfct_bpf__destroy(s); }

CounterPrograms::CounterPrograms(const ProgramOptions& opts) {
  const auto table = table_size(opts.slots, libbpf_num_possible_cpus(), "maps.slots");
  if (!table) throw FatalError(table.error());
  int err = 0;
  nfct_bpf* skel = open_and_load(opts, *table, opts.want_tracepoints, err);
  if (!skel && opts.want_tracepoints) {
    tp_error_ = "the tracepoint program does not load on this kernel (" + errstr(err) +
                "; raw tracepoint BPF cookies need Linux 6.10)";
    spdlog::warn("{}; going on with netfilter probes only", tp_error_);
    skel = open_and_load(opts, *table, false, err);
  }
  if (!skel) {
    throw FatalError("cannot load the BPF programs: " + errstr(err) +
                     " (needs root or CAP_BPF+CAP_NET_ADMIN+CAP_PERFMON, kernel BTF and "
                     "BPF netfilter links, Linux 6.4 or later)");
  }
  if (!opts.want_tracepoints) tp_error_ = "not loaded";
  skel_.reset(skel);
}

CounterPrograms::~CounterPrograms() = default;

int CounterPrograms::nf_prog_fd() const { return bpf_program__fd(skel_->progs.nfct_nf); }
int CounterPrograms::tp_prog_fd() const {
  return bpf_program__autoload(skel_->progs.nfct_tp) ? bpf_program__fd(skel_->progs.nfct_tp) : -1;
}
int CounterPrograms::counters_fd() const { return bpf_map__fd(skel_->maps.counters); }
int CounterPrograms::slot_keys_fd() const { return bpf_map__fd(skel_->maps.slot_keys); }
int CounterPrograms::slot_counts_fd() const { return bpf_map__fd(skel_->maps.slot_counts); }
int CounterPrograms::overflow_fd() const { return bpf_map__fd(skel_->maps.overflow); }
int CounterPrograms::events_fd() const { return bpf_map__fd(skel_->maps.events); }
int CounterPrograms::sampler_fd() const { return bpf_map__fd(skel_->maps.sampler); }

}  // namespace nfct
