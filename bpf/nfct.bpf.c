// SPDX-License-Identifier: GPL-2.0
/*
 * nfct_exporter's per-packet counting programs.
 *
 * nfct_nf  runs at BPF netfilter hooks (BPF_PROG_TYPE_NETFILTER, kernel 6.4+), one
 *          link per (hook, network namespace), after conntrack and NAT and before
 *          confirmation (priority INT_MAX - 2: IPv6 confirms at INT_MAX - 1).
 * nfct_tp  runs at raw tracepoints whose first argument is a struct sk_buff *, one link
 *          per tracepoint, identified by the link's BPF cookie (kernel 6.10+).
 *
 * Both read skb->_nfct and add the packet to its key's slot in the counting table (two
 * inlined array accesses and two 64-bit compares; see count_in_table() in counting.bpf.h),
 * or, when the key's slots all belong to other keys, to a per-CPU hash entry.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "nfct.h"
#include "counting.bpf.h"
#include "event_record.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * One tracked packet in sample_rate goes to the ring buffer; 0 turns sampling off.
 * Read-only data: the verifier sees the constant and removes the sampling code when it
 * is 0, so counting alone pays nothing for it.
 */
const volatile __u32 sample_rate = 0;

/*
 * The kernel's BTF id of struct nf_conn, set by the exporter before load (0: unknown).
 * With it, bpf_rdonly_cast() turns the conntrack pointer into a BTF pointer whose fields
 * are read with plain loads (the verifier turns them into fault-tolerant loads) instead of
 * a bpf_probe_read_kernel() call per field: about 20 ns instead of 70 on the counting path.
 * The id is passed in because a CO-RE type-id relocation (bpf_core_type_id_kernel) is
 * ambiguous here: the kernel also has a struct nf_conn___init.
 */
const volatile __u32 nf_conn_btf_id = 0;
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;

/* Sized by the exporter before load (config: maps.max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	/*
	 * No preallocation: preallocating 65536 per-CPU entries on a 64-CPU host would pin
	 * 64 MiB of values alone. Entries are allocated on first use instead.
	 */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct nfct_key);
	__type(value, struct nfct_value);
} counters SEC(".maps");

/*
 * The counting table in front of `counters` (config: maps.slots, a power of two; 0 turns
 * it off: slots_on is then 0, the verifier drops the table code and the maps keep 1
 * entry). Sized by the exporter before load: slot_keys to maps.slots, slot_counts to
 * maps.slots per possible CPU.
 */
const volatile __u32 nslots = 1;
const volatile __u32 slot_shift = 63; /* 64 - log2(slots): the first slot from the top bits */
const volatile __u8 slots_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfct_slot_key);
} slot_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfct_value);
} slot_counts SEC(".maps");

/* Sized by the exporter before load (config: events.ring_buffer_size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfct_sampler);
} sampler SEC(".maps");

/*
 * The sampled path: one record in the ring buffer. Not inlined, so the counting path's
 * code stays short and contiguous (the caller jumps over nothing) and only the three
 * values count() keeps in callee-saved registers (w0, w1, len) live across the call.
 * The key words carry the netns (w0 >> 32), the probe (w1 >> 24) and the state (w1 >> 32).
 */
static __noinline void sample(struct nfct_sampler *s, struct nf_conn *ct, __u64 w0, __u64 w1)
{
	struct nfct_event *e;
	struct nf_conn *master;
	__u64 avail;

	s->sampled++;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		s->dropped++;
		return;
	}
	/* Reserved memory is not zeroed: clear what read_conn() fills conditionally. */
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->netns = w0 >> 32;
	e->probe = w1 >> 24;
	e->state = w1 >> 32;
	read_conn(&e->base, ct);
	master = BPF_CORE_READ(ct, master);
	if (master) {
		e->has_parent = 1;
		read_conn(&e->parent, master);
	}
	/*
	 * Waking the consumer for every record costs more than the record; wake it only
	 * when an eighth of the ring is filled; it also polls on a short timeout.
	 */
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(e, avail >= bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 8
				      ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/*
 * The per-CPU sampling countdown read by every tracked packet, in .bss, indexed by the CPU
 * number (bpf_get_smp_processor_id() is inlined into one per-CPU load): one cache line per
 * CPU, where the per-CPU `sampler` map costs two (its pointer table, then the value). 128
 * bytes per CPU with the word in the middle: whatever the alignment of the map's data,
 * no two CPUs' words share a cache line. Only the owning CPU reads and writes it (BPF
 * programs run with migration disabled); a nested run on the same CPU can at worst lose
 * one decrement. CPUs from NFCT_HOT_CPUS on use the countdown in `sampler`.
 */
struct nfct_cpu_hot cpu_hot[NFCT_HOT_CPUS];

/*
 * The sampling decision: on the unsampled path a load, a compare, a decrement and a store
 * of this CPU's countdown; the per-CPU `sampler` map (the counts userspace reads) is only
 * looked up for a sampled packet.
 */
static __always_inline void maybe_sample(struct nfct_cpu_hot *hot, struct nf_conn *ct, __u64 w0, __u64 w1)
{
	__u32 zero = 0;
	struct nfct_sampler *s;

	if (hot) {
		if (hot->countdown > 1) {
			hot->countdown--;
			return;
		}
		hot->countdown = sample_rate;
		s = bpf_map_lookup_elem(&sampler, &zero);
		if (s)
			sample(s, ct, w0, w1);
		return;
	}
	s = bpf_map_lookup_elem(&sampler, &zero);
	if (!s)
		return;
	if (s->countdown > 1) {
		s->countdown--;
		return;
	}
	s->countdown = sample_rate;
	sample(s, ct, w0, w1);
}

/*
 * Counts one packet. The key is built once, straight into the two 64-bit words a slot
 * starts with, and only those words and `len` stay live: the sampling call, the slot
 * compare and the hash fallback all take the key from them (the hash key is the same
 * 16 bytes on the stack, minus the first 4).
 *
 * Plain (non-atomic) increments: the values are per CPU and BPF programs run with
 * migration disabled. The one way to lose an increment is a softirq on the same CPU
 * interrupting this program between load and store *for the same key*, which needs the
 * same probe; that window is a few instructions long.
 */
static __always_inline void count(__u8 probe, __u32 netns, unsigned long nfct, __u32 len)
{
	/* The key in place after a slot's `ready` word (struct nfct_slot_key). */
	union {
		__u64 w[2];
		struct nfct_slot_key k;
	} kw;
	struct nf_conn *ct = NULL;
	__u32 cpu = bpf_get_smp_processor_id();
	struct nfct_cpu_hot *hot = cpu < NFCT_HOT_CPUS ? &cpu_hot[cpu] : NULL;
	__u64 w0 = NFCT_SLOT_READY | ((__u64)netns << 32);
	/* zone | zone_dir << 16 | probe << 24 | state << 32 | pad << 40 | status << 48 */
	__u64 w1 = (__u64)probe << 24 | (__u64)NFCT_KEY_TAG << 40;

	if (!nfct) {
		w1 |= (__u64)NFCT_STATE_NO_CT << 32;
	} else {
		/* Untracked packets carry ctinfo 7 and a NULL conntrack pointer. */
		ct = (struct nf_conn *)(nfct & ~NFCT_CTINFO_MASK);
		w1 |= (__u64)(nfct & NFCT_CTINFO_MASK) << 32;
		if (ct) {
			if (nf_conn_btf_id) {
				const struct nf_conn *c = bpf_rdonly_cast(ct, nf_conn_btf_id);

				w1 |= (__u64)(__u16)c->status << 48;
				/* CONFIG_NF_CONNTRACK_ZONES=n kernels have no zone member. */
				if (bpf_core_field_exists(ct->zone))
					w1 |= (__u64)c->zone.id | ((__u64)c->zone.dir << 16);
			} else {
				w1 |= (__u64)(__u16)BPF_CORE_READ(ct, status) << 48;
				if (bpf_core_field_exists(ct->zone)) {
					struct nf_conntrack_zone z;

					BPF_CORE_READ_INTO(&z, ct, zone);
					w1 |= (__u64)z.id | ((__u64)z.dir << 16);
				}
			}
			if (sample_rate)
				maybe_sample(hot, ct, w0, w1);
		}
	}

	if (slots_on && count_in_table(&slot_keys, &slot_counts, nslots, slot_shift, cpu, w0, w1, len))
		return;
	kw.w[0] = w0;
	kw.w[1] = w1;
	count_in_hash(&counters, &kw.k.key, probe, len);
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
	__u8 probe = NFCT_NF_PROBE_INDEX(state->pf == NFPROTO_IPV6, state->hook);

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

/*
 * The kernel's BTF id of struct sk_buff, set by the exporter before load (0: unknown).
 * A raw tracepoint's arguments are untyped; bpf_rdonly_cast() makes the first one a BTF
 * pointer, so the skb, device, socket and namespace fields are plain loads (turned into
 * fault-tolerant loads by the verifier) instead of one bpf_probe_read_kernel() call each:
 * the same fast path as nfct_nf. The fields and the exactness are the same either way.
 */
const volatile __u32 sk_buff_btf_id = 0;

SEC("raw_tp")
int nfct_tp(struct bpf_raw_tracepoint_args *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx->args[0];
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!skb || cookie >= NFCT_MAX_TP_PROBES)
		return 0;
	if (sk_buff_btf_id) {
		const struct sk_buff *b = bpf_rdonly_cast(skb, sk_buff_btf_id);
		const struct net_device *dev = b->dev;
		const struct sock *sk;
		__u32 netns = 0;

		/* The device's namespace, else the socket's, else 0, as skb_netns(). */
		if (dev) {
			netns = dev->nd_net.net->ns.inum;
		} else {
			sk = b->sk;
			if (sk)
				netns = sk->__sk_common.skc_net.net->ns.inum;
		}
		count(NFCT_TP_PROBE_BASE + cookie, netns, b->_nfct, b->len);
		return 0;
	}
	count(NFCT_TP_PROBE_BASE + cookie, skb_netns(skb), BPF_CORE_READ(skb, _nfct),
	      BPF_CORE_READ(skb, len));
	return 0;
}
