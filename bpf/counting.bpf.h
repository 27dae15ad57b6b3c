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
