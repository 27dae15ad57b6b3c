/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the drop probe (drop.bpf.c) and the exporter. Fixed-width types only:
 * both compilers must lay these out identically. Values and overflow records are the
 * counter map's (struct nfct_value, struct nfct_overflow in nfct.h).
 */
#ifndef NFCT_DROP_H
#define NFCT_DROP_H

#include "nfct.h"

/*
 * The drop probe's index in the probe index space of nfct.h: its slot of the shared
 * overflow map and its `probe` label. The last index: tracepoint probes use
 * NFCT_TP_PROBE_BASE + cookie with at most NFCT_MAX_PROBES - NFCT_TP_PROBE_BASE - 1 of
 * them (the config allows 54, indices 10..63, and the drop probe takes 63 only when
 * fewer than 54 are configured: see drop_probe.cpp).
 */
#define NFCT_DROP_PROBE_INDEX (NFCT_MAX_PROBES - 1)

struct nfct_drop_key {
	__u32 netns;   /* inode of the packet's namespace (device, else socket), 0 if neither */
	__u32 reason;  /* enum skb_drop_reason; a subsystem's reasons carry it in bits 16..31 */
	__u16 zone;    /* nf_conn zone id, 0 without a connection */
	__u8 state;    /* ctinfo (0..4, 7) or NFCT_STATE_NO_CT */
	__u8 pad;      /* always NFCT_KEY_TAG (nfct.h): part of the hashed key */
};

/* A slot of the drop probe's counting table (as struct nfct_slot_key in nfct.h). */
struct nfct_drop_slot_key {
	__u32 ready;
	struct nfct_drop_key key;
};

#endif /* NFCT_DROP_H */
