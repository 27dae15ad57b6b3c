// SPDX-License-Identifier: GPL-2.0
/*
 * nfct_exporter's per-packet counting programs.
 *
 * nfct_nf  runs at BPF netfilter hooks (BPF_PROG_TYPE_NETFILTER, kernel 6.4+), one
 *          link per (hook, network namespace), after conntrack and NAT and before
 *          confirmation (priority INT_MAX - 1).
 * nfct_tp  runs at raw tracepoints whose first argument is a struct sk_buff *, one link
 *          per tracepoint, identified by the link's BPF cookie (kernel 6.10+).
 *
 * Both read skb->_nfct and add the packet to one per-CPU hash entry. The path is kept
 * to one map lookup and two probe reads for a tracked packet.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "nfct.h"

char LICENSE[] SEC("license") = "GPL";

/* Sized by the exporter before load (config: maps.max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	/*
	 * No preallocation: a per-CPU value is 144 bytes, so preallocating 65536 entries
	 * on a 64-CPU host would pin 600 MiB. Entries are allocated on first use instead.
	 */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct nfct_key);
	__type(value, struct nfct_value);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFCT_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct nfct_overflow);
} overflow SEC(".maps");

static __always_inline void count_overflow(__u8 probe, __u32 len)
{
	__u32 idx = probe;
	struct nfct_overflow *o = bpf_map_lookup_elem(&overflow, &idx);

	if (o) {
		o->packets++;
		o->bytes += len;
	}
}

/*
 * Plain (non-atomic) increments: the values are per CPU and BPF programs run with
 * migration disabled. The one way to lose an increment is a softirq on the same CPU
 * interrupting this program between load and store *for the same key*, which needs the
 * same probe; that window is a few instructions long.
 */
static __always_inline void count(__u8 probe, __u32 netns, unsigned long nfct, __u32 len)
{
	struct nfct_key key = {};
	struct nfct_value *v;
	unsigned long status = 0;

	key.netns = netns;
	key.probe = probe;
	if (!nfct) {
		key.state = NFCT_STATE_NO_CT;
	} else {
		/* Untracked packets carry ctinfo 7 and a NULL conntrack pointer. */
		struct nf_conn *ct = (struct nf_conn *)(nfct & ~NFCT_CTINFO_MASK);

		key.state = nfct & NFCT_CTINFO_MASK;
		if (ct) {
			status = BPF_CORE_READ(ct, status);
			/* CONFIG_NF_CONNTRACK_ZONES=n kernels have no zone member. */
			if (bpf_core_field_exists(ct->zone)) {
				struct nf_conntrack_zone zone;

				BPF_CORE_READ_INTO(&zone, ct, zone);
				key.zone = zone.id;
				key.zone_dir = zone.dir;
			}
		}
	}

	v = bpf_map_lookup_elem(&counters, &key);
	if (!v) {
		struct nfct_value zero = {};
		long err = bpf_map_update_elem(&counters, &key, &zero, BPF_NOEXIST);

		/* -EEXIST: another CPU inserted it meanwhile; anything else: map full. */
		if (err && err != -17 /* EEXIST */) {
			count_overflow(probe, len);
			return;
		}
		v = bpf_map_lookup_elem(&counters, &key);
		if (!v) {
			count_overflow(probe, len);
			return;
		}
	}
	v->packets++;
	v->bytes += len;
#pragma unroll
	for (int i = 0; i < NFCT_STATUS_BITS; i++)
		if (status & (1UL << i))
			v->status[i]++;
}

/*
 * libbpf 1.1 does not know the "netfilter" section: the exporter sets the program type
 * (BPF_PROG_TYPE_NETFILTER) and expected attach type (BPF_NETFILTER) before load.
 */
SEC("netfilter")
int nfct_nf(struct bpf_nf_ctx *ctx)
{
	/*
	 * ctx->state and ctx->skb are trusted BTF pointers in this program type: direct
	 * loads are cheaper than bpf_probe_read_kernel and still CO-RE relocated.
	 */
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	__u8 probe = state->hook;

	if (state->pf == NFPROTO_IPV6)
		probe += 5;
	if (probe >= NFCT_NF_PROBES)
		return NF_ACCEPT;
	count(probe, state->net->ns.inum, skb->_nfct, skb->len);
	return NF_ACCEPT;
}

static __always_inline __u32 skb_netns(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return 0;
}

SEC("raw_tp")
int nfct_tp(struct bpf_raw_tracepoint_args *ctx)
{
	/* Raw tracepoint arguments are untyped: every read goes through probe reads. */
	struct sk_buff *skb = (struct sk_buff *)ctx->args[0];
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!skb || cookie >= NFCT_MAX_PROBES - NFCT_TP_PROBE_BASE)
		return 0;
	count(NFCT_TP_PROBE_BASE + cookie, skb_netns(skb), BPF_CORE_READ(skb, _nfct),
	      BPF_CORE_READ(skb, len));
	return 0;
}
