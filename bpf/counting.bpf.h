/*
 * What the counting programs share (nfct.bpf.c and drop.bpf.c): the overflow map and the
 * "find or insert the key, then add the packet" step of a per-CPU counter hash.
 * BPF-side only: needs vmlinux.h, bpf_helpers.h and nfct.h before it.
 */
#pragma once

/*
 * Packets a full counter map could not hold, by probe index. The drop program's copy is
 * made the same map as nfct.bpf.c's by the exporter (bpf_map__reuse_fd), so a full drop
 * map is reported in nfct_map_overflow_* like a full counter map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFCT_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct nfct_overflow);
} overflow SEC(".maps");

/*
 * Adds one packet of `len` bytes to `key` in the per-CPU hash `map` (values are struct
 * nfct_value), inserting the key first; when the map is full the packet goes to the
 * overflow slot `probe_idx`. Plain increments on per-CPU values: see count() in nfct.bpf.c for why, and for the one
 * softirq caveat.
 * Always inlined, so `map` is a constant map pointer for the verifier.
 */
static __always_inline void count_in_hash(void *map, const void *key, __u32 probe_idx, __u32 len)
{
	struct nfct_value *v = bpf_map_lookup_elem(map, key);

	if (!v) {
		struct nfct_value zero = {};
		long err = bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);

		/* -EEXIST: another CPU inserted it meanwhile; anything else: map full. */
		if (!err || err == -17 /* EEXIST */)
			v = bpf_map_lookup_elem(map, key);
	}
	if (!v) {
		struct nfct_overflow *o = bpf_map_lookup_elem(&overflow, &probe_idx);

		if (o) {
			o->packets++;
			o->bytes += len;
		}
		return;
	}
	v->packets++;
	v->bytes += len;
}

/*
 * The counting table in front of a counter hash: `keys` (BPF_MAP_TYPE_ARRAY of 16-byte
 * slot keys, shared by all CPUs) and `counts` (BPF_MAP_TYPE_ARRAY of struct nfct_value,
 * one row of `nslots` per CPU), both BPF_F_MMAPABLE: the exporter reads them in place, no
 * syscall and no copy per scrape. w0 and w1 are a slot's 16 bytes as the key makes them
 * (little endian: NFCT_SLOT_READY | first key word << 32, then the other two key words).
 * Tries NFCT_SLOT_PROBES slots from the key's first slot, the top log2(nslots) bits of a
 * multiplicative hash (`shift` = 64 - log2(nslots); they depend on every bit of the key,
 * the status bits are its top bits); returns 1 when the packet was counted in one, 0 when
 * all of them hold other keys (the caller counts in the hash).
 *
 * Concurrency argument:
 * - A slot's key is written once. A CPU claims a free slot with a compare-and-swap of its
 *   first word from 0 to CLAIMED (one winner among all CPUs and nested runs), stores the
 *   second word, and publishes the first word with READY by an exchange, which is fully
 *   ordered on every JIT: whoever sees READY also sees the second word. A slot that is
 *   being claimed never equals a key (READY is not set), so others go on to the next slot:
 *   a key can so end up in two slots, and userspace adds every slot of a key. A reader
 *   that loads the second word before the first can see it still 0: keys carry
 *   NFCT_KEY_TAG in their pad byte, so 0 never matches.
 * - Counts are per CPU: only the owning CPU's programs write its row (BPF programs run
 *   with migration disabled), and userspace only reads. The counts only grow, so a scrape
 *   reads a value at most behind, never ahead and never smaller than the last scrape's.
 *   A packet is counted after its slot's key is published, in that slot or, if the
 *   count's lookup fails, nowhere else than the hash: exactly once.
 * - Increments are plain (see count() in nfct.bpf.c for the one softirq caveat).
 * - The first word holds the key's first 32-bit word (the netns) above `ready`, so a
 *   slot's key is compared with two 64-bit loads.
 *
 * Always inlined, so `keys` and `counts` are constant map pointers for the verifier.
 */
static __always_inline int count_in_table(void *keys, void *counts, __u32 nslots, __u32 shift, __u32 cpu,
					  __u64 w0, __u64 w1, __u32 len)
{
	__u32 first = ((w0 ^ (w1 * 0x9E3779B97F4A7C15ULL)) * 0x9E3779B97F4A7C15ULL) >> shift;
	__u32 i;

#pragma unroll
	for (i = 0; i < NFCT_SLOT_PROBES; i++) {
		__u32 idx = (first + i) & (nslots - 1);
		__u64 *k = bpf_map_lookup_elem(keys, &idx);
		struct nfct_value *v;
		__u64 cur;

		if (!k)
			return 0;
		cur = k[0];
		if (cur != w0 || k[1] != w1) {
			if (cur)
				continue; /* another key's slot, or a claim under way */
			if (__sync_val_compare_and_swap(&k[0], 0, (w0 & ~(__u64)NFCT_SLOT_READY) | NFCT_SLOT_CLAIMED))
				continue; /* another CPU (or a nested run) claimed it first */
			k[1] = w1;
			__sync_lock_test_and_set(&k[0], w0); /* publish: BPF_XCHG, fully ordered */
		}
		idx += cpu * nslots;
		v = bpf_map_lookup_elem(counts, &idx);
		if (!v)
			return 0;
		v->packets++;
		v->bytes += len;
		return 1;
	}
	return 0;
}
