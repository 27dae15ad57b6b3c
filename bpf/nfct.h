/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the BPF programs (nfct.bpf.c) and the exporter. Fixed-width types
 * only: both compilers must lay these out identically.
 */
#ifndef NFCT_SHARED_H
#define NFCT_SHARED_H

#ifndef NFCT_VMLINUX_H /* userspace: the BPF side has these from vmlinux.h */
#include <linux/types.h>
#endif

/*
 * Probe index space (the `probe` byte of a key):
 *   0..9   netfilter hooks: (pf == IPv6 ? 5 : 0) + hooknum, derived in BPF from the
 *          hook state, so one program serves every nf probe;
 *   10..   tracepoints: 10 + the BPF cookie of the link (set by the exporter).
 */
#define NFCT_NF_HOOKS 5
#define NFCT_NF_PROBES (2 * NFCT_NF_HOOKS)
#define NFCT_NF_PROBE_INDEX(is_ipv6, hook) (((is_ipv6) ? NFCT_NF_HOOKS : 0) + (hook))
#define NFCT_TP_PROBE_BASE 10
#define NFCT_MAX_PROBES 64
/* How many tracepoint probes the index space holds. */
#define NFCT_MAX_TP_PROBES (NFCT_MAX_PROBES - NFCT_TP_PROBE_BASE)

/* `state` byte of a key: the kernel's ctinfo (0..4, 7), or NFCT_STATE_NO_CT. */
#define NFCT_CTINFO_MASK 7UL
#define NFCT_STATE_UNTRACKED 7
#define NFCT_STATE_NO_CT 8

#define NFCT_STATUS_BITS 16

/*
 * The connection's status bits 0..15 are part of the key: a packet then costs one hash
 * lookup and two increments of a 16-byte value, and userspace derives the per-bit counts
 * (a bit's packets are the packets of every key that has it). A (probe, netns, zone,
 * state) sees only a handful of distinct status values, so this multiplies entries by
 * a few while each entry is 9 times smaller than 16 per-bit counters would make it.
 */
struct nfct_key {
	__u32 netns;    /* inode number of the packet's network namespace */
	__u16 zone;     /* nf_conn zone id, 0 without a connection */
	__u8 zone_dir;  /* nf_conn zone direction bits, 0 without a connection */
	__u8 probe;     /* see the index space above */
	__u8 state;     /* ctinfo or NFCT_STATE_NO_CT */
	__u8 pad;       /* always NFCT_KEY_TAG: part of the hashed key */
	__u16 status;   /* nf_conn status bits 0..15 (IPS_*_BIT), 0 without a connection */
};

/* One value per key and CPU. */
struct nfct_value {
	__u64 packets;
	__u64 bytes;
};

/*
 * The counting table (count_in_table() in counting.bpf.h): `slot_keys`, an array of these
 * 16-byte words shared by all CPUs, and `slot_counts`, one row of struct nfct_value per CPU
 * (cpu * slots + i), both mmapped read-only by the exporter. The first 16 bytes of a slot
 * are `ready` and the key, compared by the BPF program as two 64-bit words. `ready` is 0
 * while free, NFCT_SLOT_CLAIMED while one CPU writes the key, and has NFCT_SLOT_READY set
 * once the key is valid; from then on the key never changes.
 */
#define NFCT_SLOT_READY 0x80000000u
#define NFCT_SLOT_CLAIMED 1u
/* Slots tried per key, from its hash's slot on (linear probing): four share a cache line. */
#define NFCT_SLOT_PROBES 4
/*
 * A key's `pad` byte in the table and the hash: never 0, so a slot whose second word a
 * reader loads before the claimant's store (still 0) can never match a real key.
 */
#define NFCT_KEY_TAG 1

struct nfct_slot_key {
	__u32 ready;
	struct nfct_key key;
};

/* Packets that found the counter map full: per probe, per CPU. */
struct nfct_overflow {
	__u64 packets;
	__u64 bytes;
};

/* Event sampling (ring buffer records). */

struct nfct_ev_tuple {
	__u8 src[16];     /* IPv4 in the first 4 bytes */
	__u8 dst[16];
	__u16 l3num;      /* NFPROTO_IPV4 or NFPROTO_IPV6 */
	__u16 src_u;      /* network order: sport, or icmp id */
	__u16 dst_u;      /* network order: dport, or icmp type (byte 0) and code (byte 1) */
	__u8 protonum;
	__u8 pad;
};

#define NFCT_EV_HAS_MARK 1
#define NFCT_EV_HAS_LABELS 2
#define NFCT_EV_IS_TCP_STATE 4

struct nfct_ev_conn {
	struct nfct_ev_tuple orig;
	struct nfct_ev_tuple reply;
	__u64 status;
	__u64 labels[2];
	__u32 mark;
	__u16 zone_id;
	__u8 zone_dir;
	__u8 tcp_state;
	__u8 flags;       /* NFCT_EV_* */
	__u8 pad[7];
};

struct nfct_event {
	__u64 ts_ns;      /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 netns;
	__u8 probe;
	__u8 state;       /* ctinfo */
	__u8 has_parent;
	__u8 pad;
	struct nfct_ev_conn base;
	struct nfct_ev_conn parent;
};

/* Per-CPU sampling state and counters. */
struct nfct_sampler {
	__u64 sampled;    /* packets chosen for sampling, dropped ones included */
	__u64 dropped;    /* sampled but the ring buffer was full */
	__u32 countdown;  /* tracked packets until the next sample (CPUs past nfct.bpf.c's cpu_hot) */
	__u32 pad;
};

/*
 * One CPU's word in nfct.bpf.c's .bss (cpu_hot[cpu]): 128 bytes per CPU with the word
 * in the middle, so no two CPUs' words share a cache line.
 */
#define NFCT_HOT_CPUS 512
struct nfct_cpu_hot {
	__u32 before[16];
	__u32 countdown;    /* tracked packets until the next sample */
	__u32 after[15];
};

#endif /* NFCT_SHARED_H */
