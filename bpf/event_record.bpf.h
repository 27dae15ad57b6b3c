/*
 * The sampled event's view of a conntrack entry: both tuples, status, zone, mark, TCP
 * state and labels read with CO-RE into struct nfct_ev_conn (nfct.h), with
 * bpf_core_field_exists() for the members that kernels build without.
 * BPF-side only: needs vmlinux.h, bpf_helpers.h, bpf_core_read.h and nfct.h before it.
 */
#pragma once

static __always_inline void read_tuple(struct nfct_ev_tuple *t, const struct nf_conntrack_tuple *kt)
{
	bpf_core_read(t->src, sizeof(t->src), &kt->src.u3);
	bpf_core_read(t->dst, sizeof(t->dst), &kt->dst.u3);
	t->l3num = BPF_CORE_READ(kt, src.l3num);
	t->src_u = BPF_CORE_READ(kt, src.u.all);
	t->dst_u = BPF_CORE_READ(kt, dst.u.all);
	t->protonum = BPF_CORE_READ(kt, dst.protonum);
}

static __always_inline void read_conn(struct nfct_ev_conn *c, struct nf_conn *ct)
{
	read_tuple(&c->orig, &ct->tuplehash[0].tuple);
	read_tuple(&c->reply, &ct->tuplehash[1].tuple);
	c->status = BPF_CORE_READ(ct, status);
	if (bpf_core_field_exists(ct->zone)) {
		c->zone_id = BPF_CORE_READ(ct, zone.id);
		c->zone_dir = BPF_CORE_READ(ct, zone.dir);
	}
	/* CONFIG_NF_CONNTRACK_MARK=n: no member, and events say mark: null. */
	if (bpf_core_field_exists(ct->mark)) {
		c->mark = BPF_CORE_READ(ct, mark);
		c->flags |= NFCT_EV_HAS_MARK;
	}
	if (c->orig.protonum == 6 /* IPPROTO_TCP */) {
		c->tcp_state = BPF_CORE_READ(ct, proto.tcp.state);
		c->flags |= NFCT_EV_IS_TCP_STATE;
	}
	/* Labels live in the extension area, at ext->offset[NF_CT_EXT_LABELS] if set. */
	if (bpf_core_enum_value_exists(enum nf_ct_ext_id, NF_CT_EXT_LABELS)) {
		struct nf_ct_ext *ext = BPF_CORE_READ(ct, ext);
		__u32 id = bpf_core_enum_value(enum nf_ct_ext_id, NF_CT_EXT_LABELS);
		__u8 off = 0;

		if (ext && id < 9) {
			bpf_core_read(&off, 1, &ext->offset[id]);
			if (off) {
				bpf_probe_read_kernel(c->labels, sizeof(c->labels), (char *)ext + off);
				if (c->labels[0] || c->labels[1])
					c->flags |= NFCT_EV_HAS_LABELS;
			}
		}
	}
}
