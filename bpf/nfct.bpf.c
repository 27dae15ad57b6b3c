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
 * Both read skb->_nfct and add the packet to its key's slot in a per-CPU array (one
 * inlined array access and two 64-bit compares), or, when both of the key's slots belong
 * to other keys (or this CPU's slots are bypassed), to a per-CPU hash entry.
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
 * Counting slots in front of `counters` (config: maps.slots, a power of two; 0 turns them
 * off: slots_on is then 0, the verifier drops the slot code and the map keeps 1 entry).
 */
const volatile __u32 slot_mask = 0;
const volatile __u32 slot_shift = 63; /* 64 - log2(slots): the first slot from the top bits */
const volatile __u8 slots_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfct_slot);
} slots SEC(".maps");

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
 * Per-CPU words read by every packet, in .bss, indexed by the CPU number
 * (bpf_get_smp_processor_id() is inlined into one per-CPU load): the sampling countdown
 * and the slot bypass flag share one cache line per CPU, where the per-CPU `sampler` map
 * costs two (the map's pointer table, then the value) and a global flag a third. 128
 * bytes per CPU with the words in the middle: whatever the alignment of the map's data,
 * no two CPUs' words share a cache line. Only the owning CPU reads and writes them (BPF
 * programs run with migration disabled); a nested run on the same CPU can at worst lose
 * one decrement. CPUs from NFCT_HOT_CPUS on use the countdown in `sampler` and never
 * bypass their slots.
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
 * cpu_hot[cpu].slots_bypass is set (to 1) when that CPU has claimed slots_bypass_at of
 * its slots: from then on that CPU skips the slot probe and counts in the hash. With
 * more label sets than slots, almost every probe misses, and a miss costs a cache (and
 * TLB) miss on a random slot on top of the hash, which made many keys slower with slots
 * than without them. Exactness does not depend on it: a key's packets may be in its
 * slot, in the hash or both, and userspace adds the two.
 */
const volatile __u32 slots_bypass_at = 0; /* 0: never (set by the exporter from maps.slots) */

/* A slot was claimed on this CPU: count it, and turn this CPU's slots off when too many are. */
static __noinline void slot_claimed(void)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	struct nfct_sampler *s = bpf_map_lookup_elem(&sampler, &zero);

	if (!s)
		return;
	s->slots_claimed++;
	if (slots_bypass_at && s->slots_claimed >= slots_bypass_at && cpu < NFCT_HOT_CPUS)
		cpu_hot[cpu].slots_bypass = 1;
}

/*
 * The slot fast path at slot `idx`. Returns 1 when the packet was counted in that slot, 0
 * when the slot is another key's (or a claim is under way). w0 and w1 are the slot's first 16 bytes as the key makes them (struct
 * nfct_slot, little endian): NFCT_SLOT_READY | netns << 32, and the rest of the key.
 *
 * Concurrency argument (one copy of the array per CPU):
 * - Only the owning CPU's programs write its copy: BPF programs run with migration
 *   disabled, and userspace never writes the slots (it only reads them), so there is no
 *   cross-CPU race and no store from userspace to lose or resurrect counts.
 * - On one CPU a program can still be interrupted by another run of this program (a
 *   softirq running an input hook while process context runs an output hook), which
 *   runs to completion inside one instruction gap of the first. Claiming a slot must
 *   therefore have one winner: the claimant adds 1 to `ready` (an atomic add, in BPF
 *   ISA v1) and owns the slot only when it then reads exactly 1. A nested run that sees
 *   `ready` != 0 goes on (to its second slot, then the hash). If a nested run claims the
 *   slot completely between our test of 0 and our add, our add leaves `ready` = READY + 1:
 *   we read not-1 and go on; its packet stays counted (userspace takes every slot with
 *   the READY bit) while later packets of its key fail the exact compare and go on. A key
 *   may so own both of its slots; userspace adds every slot of a key. Either way every
 *   packet lands in exactly one place.
 * - The owner stores the key, its first packet, and only then (after a compiler barrier;
 *   x86 keeps stores in order) `ready` = READY. The key never changes afterwards, and the
 *   counters only grow: a reader that sees READY (it reads the first word first, the
 *   kernel copies a per-CPU value in ascending 8-byte words) reads the final key and a
 *   count that is at most behind, never ahead or decreasing. Userspace adds slots, hash
 *   and the counts it moved out of the hash for vanished namespaces, per key, on every
 *   scrape (counter_reader.cpp), so no series decreases, also when an inode number is
 *   reused (the slot keeps counting the reused number's packets on top), and also when
 *   slots_bypass sends a key that owns a slot to the hash from then on.
 * - The increments are plain, like the hash's: a nested run for the same key between the
 *   load and the store of an increment loses one increment; that needs the same probe,
 *   namespace, state, zone and status in both contexts and a window of a few instructions.
 */
static __always_inline int count_slot(__u32 idx, __u64 w0, __u64 w1, __u32 len)
{
	struct nfct_slot *s = bpf_map_lookup_elem(&slots, &idx);
	__u64 *w;

	if (!s)
		return 0;
	w = (__u64 *)s;
	if (w[0] == w0 && w[1] == w1) {
		s->packets++;
		s->bytes += len;
		return 1;
	}
	if (s->ready)
		return 0; /* another key's slot, or a claim under way */
	__sync_fetch_and_add(&s->ready, 1);
	if (*(volatile __u32 *)&s->ready != 1)
		return 0;
	s->key.netns = w0 >> 32;
	w[1] = w1;
	s->packets = 1;
	s->bytes = len;
	asm volatile("" ::: "memory");
	s->ready = NFCT_SLOT_READY;
	slot_claimed();
	return 1;
}

/*
 * Counts one packet. The key is built once, straight into the two 64-bit words a slot
 * starts with, and only those words and `len` stay live: the sampling call, the slot
 * compare and the hash fallback all take the key from them (the hash key is the same
 * 16 bytes on the stack, minus the first 4), so the common path spills nothing.
 *
 * Plain (non-atomic) increments: the values are per CPU and BPF programs run with
 * migration disabled. The one way to lose an increment is a softirq on the same CPU
 * interrupting this program between load and store *for the same key*, which needs the
 * same probe; that window is a few instructions long.
 */
static __always_inline void count(__u8 probe, __u32 netns, unsigned long nfct, __u32 len)
{
	/* struct nfct_key in place after a slot's `ready` word (see struct nfct_slot). */
	union {
		__u64 w[2];
		struct {
			__u32 ready;
			struct nfct_key key;
		} k;
	} kw;
	struct nf_conn *ct = NULL;
	__u32 cpu = bpf_get_smp_processor_id();
	struct nfct_cpu_hot *hot = cpu < NFCT_HOT_CPUS ? &cpu_hot[cpu] : NULL;
	__u64 w0 = NFCT_SLOT_READY | ((__u64)netns << 32);
	__u64 w1 = (__u64)probe << 24; /* zone | zone_dir << 16 | probe << 24 | state << 32 | status << 48 */

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

	if (slots_on && !(hot && hot->slots_bypass)) {
		/*
		 * Two choices of slot: the first from the top bits of a multiplicative hash (they
		 * depend on every bit of the key; the status bits are the key's top bits), the
		 * second, tried only when the first is another key's, from its middle bits. A hot
		 * key then goes to the hash only when both of its slots were taken first (often
		 * by short-lived keys such as a connection's first packets), which with a few
		 * dozen keys per CPU is rare instead of a percent per key.
		 */
		__u64 h = (w0 ^ (w1 * 0x9E3779B97F4A7C15ULL)) * 0x9E3779B97F4A7C15ULL;

		if (count_slot((h >> slot_shift) & slot_mask, w0, w1, len) ||
		    count_slot((h >> 24) & slot_mask, w0, w1, len))
			return;
	}
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
