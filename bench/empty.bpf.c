// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: an empty BPF netfilter program. Attached at the same hooks as
 * nfct_exporter's nfct_nf, with kernel BPF statistics on, its average run time is the
 * cost of the hook dispatch and of the statistics timing alone; nfct_nf's average minus
 * this one is what counting (and sampling) itself costs per packet.
 */
#include "../bpf/vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("netfilter")
int nf_empty(struct bpf_nf_ctx *ctx)
{
	return 1; /* NF_ACCEPT */
}
