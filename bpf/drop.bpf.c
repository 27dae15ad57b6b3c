// SPDX-License-Identifier: GPL-2.0
/*
 * nfct_exporter's drop probe: counts every packet the kernel frees as dropped, at the
 * skb:kfree_skb tracepoint, by namespace, drop reason, the packet's conntrack state and
 * the connection's zone. At that point the packet still carries its conntrack entry
 * (skb->_nfct), unless the code that dropped it had already released it (nf_reset_ct,
 * e.g. UDP before socket lookup): those are counted as NFCT_STATE_NO_CT.
 *
 * A BTF-typed tracepoint (tp_btf): the arguments are typed pointers, so skb, its device
 * and socket are read with plain loads (the verifier turns them into fault-tolerant
 * loads) instead of a bpf_probe_read_kernel() call each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "drop.h"
#include "counting.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Only the two values that are not drops. Relocated against the running kernel's enum
 * by name (bpf_core_enum_value), so their numbers here do not matter.
 */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
	SKB_CONSUMED = 1,
};

/* The kernel's BTF id of struct nf_conn, set before load; 0: read through probe reads.
 * See nfct.bpf.c for why it is passed in rather than relocated. */
const volatile __u32 nf_conn_btf_id = 0;
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;

/* Sized by the exporter before load (config: maps.max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* see the counter map in nfct.bpf.c */
	__uint(max_entries, 65536);
	__type(key, struct nfct_drop_key);
	__type(value, struct nfct_value);
} drops SEC(".maps");

/*
 * The drop probe's counting table in front of `drops` (config: drops.slots; see
 * count_in_table() in counting.bpf.h and the counter table in nfct.bpf.c). Sized by the
 * exporter before load.
 */
const volatile __u32 nslots = 1;
const volatile __u32 slot_shift = 63;
const volatile __u8 slots_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfct_drop_slot_key);
} drop_slot_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfct_value);
} drop_slot_counts SEC(".maps");

static __always_inline __u32 drop_netns(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct sock *sk;

	if (dev)
		return dev->nd_net.net->ns.inum;
	sk = skb->sk;
	if (sk)
		return sk->__sk_common.skc_net.net->ns.inum;
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(nfct_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	/* The key in place after a slot's `ready` word, as count_in_table() compares it. */
	union {
		__u64 w[2];
		struct nfct_drop_slot_key s;
	} kw = {};
	struct nfct_drop_key *key = &kw.s.key;
	unsigned long nfct;
	__u32 len;

	/*
	 * Kernels since 6.0 report SKB_CONSUMED at skb:consume_skb, not here, and never
	 * trace SKB_NOT_DROPPED_YET; both are skipped anyway, should a kernel do otherwise.
	 */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_NOT_DROPPED_YET) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	if (!skb)
		return 0;

	kw.s.ready = NFCT_SLOT_READY;
	key->pad = NFCT_KEY_TAG;
	key->netns = drop_netns(skb);
	key->reason = reason;
	nfct = skb->_nfct;
	len = skb->len;
	if (!nfct) {
		key->state = NFCT_STATE_NO_CT;
	} else {
		/* Untracked packets carry ctinfo 7 and a NULL conntrack pointer. */
		struct nf_conn *ct = (struct nf_conn *)(nfct & ~NFCT_CTINFO_MASK);

		key->state = nfct & NFCT_CTINFO_MASK;
		if (ct && bpf_core_field_exists(ct->zone)) {
			if (nf_conn_btf_id) {
				const struct nf_conn *c = bpf_rdonly_cast(ct, nf_conn_btf_id);

				key->zone = c->zone.id;
			} else {
				key->zone = BPF_CORE_READ(ct, zone.id);
			}
		}
	}

	/* As the counter map in nfct.bpf.c; a full drop map counts at its probe index. */
	if (slots_on && count_in_table(&drop_slot_keys, &drop_slot_counts, nslots, slot_shift,
				       bpf_get_smp_processor_id(), kw.w[0], kw.w[1], len))
		return 0;
	count_in_hash(&drops, key, NFCT_DROP_PROBE_INDEX, len);
	return 0;
}
