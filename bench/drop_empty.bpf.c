// SPDX-License-Identifier: GPL-2.0
/*
 * The drop benchmark's floor: an empty BTF-typed program at skb:kfree_skb, attached next
 * to the exporter's nfct_drop. With kernel BPF statistics on, its average run time is the
 * cost of the tracepoint dispatch and of the statistics timing alone; nfct_drop's average
 * minus this one is what counting a drop costs.
 */
#include "../bpf/vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/kfree_skb")
int drop_empty(void *ctx)
{
	return 0;
}
