// SPDX-License-Identifier: GPL-2.0
/*
 * Cost decomposition of the counting path (bench/run.py, "ablation"): each program does
 * a prefix of what nfct_nf in bpf/nfct.bpf.c does per packet, so that the per-packet
 * cost of each step can be measured in one flood next to the empty-program floor.
 *
 *   v_ctx      direct loads only: hook, family, netns, skb->_nfct, skb->len
 *   v_read     + the connection's status and zone (two probe reads): every read nfct_nf does
 *   v_array    + one per-CPU array slot (packets, bytes) indexed by probe and state
 *   v_hash16   + one per-CPU hash entry keyed like nfct_nf's, 16-byte value (packets, bytes)
 *   v_hash144  + a 144-byte value with 16 status-bit counters: the counting path before
 *              the status bits moved into the key (kept for comparison)
 *   v_cast     v_read with the connection's fields loaded directly through
 *              bpf_rdonly_cast() instead of two bpf_probe_read_kernel() calls: the
 *              loader puts the kernel's BTF id of struct nf_conn in nf_conn_btf_id (a
 *              libbpf CO-RE type-id relocation is ambiguous: the kernel also has
 *              nf_conn___init), so the verifier sees a constant
 *
 * Not part of the exporter; nf_empty --variants attaches them.
 */
#include "../bpf/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "../bpf/nfct.h"

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;

/* Set by nf_empty before load: the id of struct nf_conn in /sys/kernel/btf/vmlinux. */
const volatile __u32 nf_conn_btf_id = 0;

/* The value of the earlier design: packets, bytes and one counter per status bit. */
struct value144 {
	__u64 packets;
	__u64 bytes;
	__u64 status[NFCT_STATUS_BITS];
};

struct small_value {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFCT_MAX_PROBES * 16);
	__type(key, __u32);
	__type(value, struct small_value);
} v_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct nfct_key);
	__type(value, struct small_value);
} v_h16 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct nfct_key);
	__type(value, struct value144);
} v_h144 SEC(".maps");

/*
 * The same reads as nfct_nf and count() in bpf/nfct.bpf.c (without the connection's
 * fields when read_ct is 0). Returns 0 to skip the packet.
 */
static __always_inline int read_packet(struct bpf_nf_ctx *ctx, struct nfct_key *key, __u32 *len,
				       unsigned long *status, int read_ct)
{
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	unsigned long nfct;
	__u8 probe = state->hook;

	if (state->pf == NFPROTO_IPV6)
		probe += 5;
	if (probe >= NFCT_NF_PROBES)
		return 0;
	key->netns = state->net->ns.inum;
	key->probe = probe;
	nfct = skb->_nfct;
	*len = skb->len;
	*status = 0;
	if (!nfct) {
		key->state = NFCT_STATE_NO_CT;
	} else {
		struct nf_conn *ct = (struct nf_conn *)(nfct & ~NFCT_CTINFO_MASK);

		key->state = nfct & NFCT_CTINFO_MASK;
		if (ct && read_ct) {
			struct nf_conntrack_zone zone;

			*status = BPF_CORE_READ(ct, status);
			BPF_CORE_READ_INTO(&zone, ct, zone);
			key->zone = zone.id;
			key->zone_dir = zone.dir;
		}
	}
	return 1;
}

/* Keeps every read alive; never true (status has no bit above 15 set). */
static __always_inline int keep(const struct nfct_key *key, __u32 len, unsigned long status)
{
	__u64 mix = status ^ len ^ key->netns ^ ((__u64)key->zone << 8) ^ key->zone_dir ^ key->state;

	return mix == 0xdeadbeefcafef00dULL ? NF_DROP : NF_ACCEPT;
}

SEC("netfilter")
int v_ctx(struct bpf_nf_ctx *ctx)
{
	struct nfct_key key = {};
	unsigned long status;
	__u32 len;

	if (!read_packet(ctx, &key, &len, &status, 0))
		return NF_ACCEPT;
	return keep(&key, len, status);
}

SEC("netfilter")
int v_read(struct bpf_nf_ctx *ctx)
{
	struct nfct_key key = {};
	unsigned long status;
	__u32 len;

	if (!read_packet(ctx, &key, &len, &status, 1))
		return NF_ACCEPT;
	return keep(&key, len, status);
}

SEC("netfilter")
int v_array(struct bpf_nf_ctx *ctx)
{
	struct nfct_key key = {};
	struct small_value *v;
	unsigned long status;
	__u32 len, idx;

	if (!read_packet(ctx, &key, &len, &status, 1))
		return NF_ACCEPT;
	idx = (__u32)key.probe * 16 + (key.state & 15) + (status & 1) + key.zone_dir;
	v = bpf_map_lookup_elem(&v_arr, &idx);
	if (v) {
		v->packets++;
		v->bytes += len;
	}
	return NF_ACCEPT;
}

SEC("netfilter")
int v_hash16(struct bpf_nf_ctx *ctx)
{
	struct nfct_key key = {};
	struct small_value *v;
	unsigned long status;
	__u32 len;

	if (!read_packet(ctx, &key, &len, &status, 1))
		return NF_ACCEPT;
	v = bpf_map_lookup_elem(&v_h16, &key);
	if (!v) {
		struct small_value zero = {};

		bpf_map_update_elem(&v_h16, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&v_h16, &key);
		if (!v)
			return NF_ACCEPT;
	}
	v->packets++;
	v->bytes += len + (status & 1);
	return NF_ACCEPT;
}

SEC("netfilter")
int v_hash144(struct bpf_nf_ctx *ctx)
{
	struct nfct_key key = {};
	struct value144 *v;
	unsigned long status;
	__u32 len;

	if (!read_packet(ctx, &key, &len, &status, 1))
		return NF_ACCEPT;
	v = bpf_map_lookup_elem(&v_h144, &key);
	if (!v) {
		struct value144 zero = {};

		bpf_map_update_elem(&v_h144, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&v_h144, &key);
		if (!v)
			return NF_ACCEPT;
	}
	v->packets++;
	v->bytes += len;
#pragma unroll
	for (int i = 0; i < NFCT_STATUS_BITS; i++)
		if (status & (1UL << i))
			v->status[i]++;
	return NF_ACCEPT;
}

SEC("netfilter")
int v_cast(struct bpf_nf_ctx *ctx)
{
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	struct nfct_key key = {};
	unsigned long nfct, status = 0;
	__u32 len;
	__u8 probe = state->hook;

	if (state->pf == NFPROTO_IPV6)
		probe += 5;
	if (probe >= NFCT_NF_PROBES)
		return NF_ACCEPT;
	key.netns = state->net->ns.inum;
	key.probe = probe;
	nfct = skb->_nfct;
	len = skb->len;
	if (!nfct) {
		key.state = NFCT_STATE_NO_CT;
	} else {
		struct nf_conn *ct = (struct nf_conn *)(nfct & ~NFCT_CTINFO_MASK);

		key.state = nfct & NFCT_CTINFO_MASK;
		if (ct && nf_conn_btf_id) {
			struct nf_conn *c = bpf_rdonly_cast(ct, nf_conn_btf_id);

			status = c->status;
			key.zone = c->zone.id;
			key.zone_dir = c->zone.dir;
		}
	}
	return keep(&key, len, status);
}
