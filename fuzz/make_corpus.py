#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/ (committed; run
again after changing it). Binary seeds (ring buffer records, netlink datagrams) are laid
out here field by field, as the BPF program and the kernel write them, plus the hostile
inputs of issue 9."""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---------------------------------------------------------------- text inputs

def text_seeds():
    with open(os.path.join(HERE, "..", "config", "nfct_exporter.yaml"), "rb") as f:
        write("config", "example", f.read())
    write("config", "empty", "")
    write("config", "full", """probes: [nf:ipv4:input, "tp:nf_conntrack:ct_event"]
netns: [blue, /proc/1/ns/net]
netns_rescan_interval: 5s
maps: {max_entries: 4096}
web: {listen_address: "127.0.0.1:9747", telemetry_path: /metrics}
log: {level: debug}
events: {sample_rate: 100, store_size: 10, ring_buffer_size: 4096}
table_stats: {enabled: true, per_cpu: true, timeout: 2s}
zone_entries: {enabled: true, interval: 30s, timeout: 10s, max_series: 10}
""")
    write("config", "bad_types", "maps: {max_entries: [1]}\nweb: 3\nprobes: {a: b}\n")
    write("config", "nul_listen", 'web: {listen_address: "1.2.3.4\\0junk:80"}\n')
    write("config", "deep", "a: " + "[" * 200 + "]" * 200 + "\n")
    write("config", "anchors", "x: &a [*a]\nprobes: *a\n")

    for i, q in enumerate([
        "%ff", "f%f2=1", "%c3=1&%c3=2",  # issue 9 item 1: names that are not UTF-8
        "limit=10&format=text", "follow=1&format=ndjson", "follow=1",
        "zone=65535&proto=tcp&state=established&netns=4026531840",
        "limit=0", "limit=99999999999999999999", "%", "a=%2", "format=json&follow=1",
        "state=related_reply&proto=icmpv6&limit=1000000", "&&=&", "limit=1&limit=2",
    ]):
        write("events_query", f"q{i:02d}", q)

    for i, a in enumerate([":9747", "127.0.0.1:9747", "localhost:80", "0.0.0.0:65535", "[::1]:80",
                           "1.2.3.4\0junk:80", ":0", ":65536", "1.2.3.4:", "1.2.3:80", "a:b:c"]):
        write("listen_address", f"a{i:02d}", a)

    for i, p in enumerate(["nf:ipv4:input", "nf:ipv6:postrouting", "nf:ipv4:forward", "tp:nf_conntrack:ct_event",
                           "tp:a:b:c", "nf:ipv5:input", "tp::x", "nf:ipv4:"]):
        write("probe", f"p{i:02d}", p)

    for i, args in enumerate([
        ["--web.listen-address", ":9747"], ["--config.check"], ["--help"], ["--version"],
        ["--log.level=debug", "--config.file", "x.yaml"], ["--bogus"], ["--web.telemetry-path"],
        ["--config.file=a", "--config.file=b"], ["positional"],
    ]):
        write("cli", f"c{i:02d}", "\0".join(args))


# ---------------------------------------------------------------- ring buffer records

def ev_tuple(l3num=2, src=b"\x0a\0\0\x01", dst=b"\x0a\0\0\x02", proto=6, src_u=40000, dst_u=80):
    return struct.pack("<16s16sHHHBB", src, dst, l3num, struct.unpack("<H", struct.pack(">H", src_u))[0],
                       struct.unpack("<H", struct.pack(">H", dst_u))[0], proto, 0)


def ev_conn(orig, reply, status=0x18e, labels=(0, 0), mark=0, zone=0, zone_dir=0, tcp_state=3, flags=5):
    return orig + reply + struct.pack("<QQQIHBBB7s", status, labels[0], labels[1], mark, zone, zone_dir,
                                      tcp_state, flags, b"")


def ev_record(ts, base, parent=None, state=0, probe=1, netns=4026531840, offset=1_700_000_000_000_000_000):
    parent_bytes = parent if parent is not None else b"\0" * len(base)
    rec = struct.pack("<QIBBBB", ts, netns, probe, state, 1 if parent else 0, 0) + base + parent_bytes
    assert len(rec) == 256
    return rec + struct.pack("<q", offset)


def record_seeds():
    tcp = ev_conn(ev_tuple(), ev_tuple(src=b"\x0a\0\0\x02", dst=b"\x0a\0\0\x01", src_u=80, dst_u=40000))
    write("event_record", "tcp", ev_record(123456789, tcp))
    v6 = ev_conn(ev_tuple(10, b"\xfd" + b"\0" * 14 + b"\1", b"\xfd" + b"\0" * 14 + b"\2", 17),
                 ev_tuple(10, b"\xfd" + b"\0" * 14 + b"\2", b"\xfd" + b"\0" * 14 + b"\1", 17),
                 flags=3, mark=7, labels=(1, 1 << 63), zone=5, zone_dir=3)
    write("event_record", "udp6_labels_zone", ev_record(1, v6, state=2))
    icmp = ev_conn(ev_tuple(proto=1, src_u=77, dst_u=0x0800), ev_tuple(proto=1, src_u=77, dst_u=0x0000), flags=0)
    write("event_record", "icmp_with_parent", ev_record(5, icmp, parent=tcp, state=1, probe=10))
    write("event_record", "unknown_probe_tcp_state", ev_record(5, ev_conn(ev_tuple(), ev_tuple(), tcp_state=200), probe=99))
    # Issue 9 item 4: a corrupt timestamp next to the clock offset overflows int64.
    write("event_record", "ts_overflow", ev_record(2**63 - 1, tcp, offset=2**62))
    write("event_record", "ts_overflow_neg", ev_record(2**63, tcp, offset=-1))
    write("event_record", "bad_family", ev_record(1, ev_conn(ev_tuple(l3num=7), ev_tuple())))


# ---------------------------------------------------------------- ctnetlink datagrams
SEQ, PORT = 0x01020304, 0x0A0B0C0D  # fuzz_ctnetlink.cpp's
NLMSG_ERROR, NLMSG_DONE, NLM_F_MULTI = 2, 3, 2


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + b"\0" * (-n % 4)


def nest(t, *attrs):
    return attr(t | 0x8000, b"".join(attrs))


def msg(mtype, body, flags=NLM_F_MULTI, seq=SEQ, length=None, pad=True):
    n = 16 + len(body)
    out = struct.pack("<IHHII", n if length is None else length, mtype, flags, seq, PORT) + body
    return out + (b"\0" * (-n % 4) if pad else b"")


def nfgen(res_id=0, family=2):
    return struct.pack("<BBH", family, 0, struct.unpack("<H", struct.pack(">H", res_id))[0])


def be32(v):
    return struct.pack(">I", v)


def ct(m):  # NFNL_SUBSYS_CTNETLINK
    return (1 << 8) | m


def done(err=0):
    return msg(NLMSG_DONE, struct.pack("<i", err))


def ctnetlink_seeds():
    stats = lambda cpu: msg(ct(4), nfgen(cpu) + attr(2, be32(10)) + attr(4, be32(1)) + attr(8, be32(3)))  # found, invalid, insert
    write("ctnetlink", "stats_cpu_dump", stats(0) + stats(1) + done())
    exp = msg((2 << 8) | 3, nfgen(0) + attr(1, be32(2)) + attr(2, be32(2)) + attr(3, be32(1)))
    write("ctnetlink", "exp_stats_cpu", exp + done())
    glob = msg(ct(5), nfgen() + attr(1, be32(12)) + attr(2, be32(65536)), flags=0)
    ack = msg(NLMSG_ERROR, struct.pack("<i", 0) + b"\0" * 16, flags=0)
    write("ctnetlink", "global_stats_ack", glob + ack)
    proto = nest(2, attr(1, b"\x06"))  # CTA_TUPLE_PROTO { CTA_PROTO_NUM tcp }
    entry = msg(ct(0), nfgen() + nest(1, proto, attr(3, struct.pack(">H", 7))) +  # CTA_TUPLE_ORIG with CTA_TUPLE_ZONE
                nest(2, attr(3, struct.pack(">H", 7))) +                      # CTA_TUPLE_REPLY
                nest(4, nest(1, attr(1, b"\x03"))) +                          # CTA_PROTOINFO { TCP { STATE } }
                attr(18, struct.pack(">H", 9)))                               # CTA_ZONE
    write("ctnetlink", "ct_entry_dump", entry + entry + done())
    write("ctnetlink", "done_enomem", done(-12))
    # Issue 9 item 3: lengths the kernel never sends.
    write("ctnetlink", "len_2pow31", msg(ct(6), nfgen() + attr(2, be32(1)), length=0x80000000))
    write("ctnetlink", "len_align_wraps", msg(ct(6), nfgen() + attr(2, be32(1)), length=0xFFFFFFFD))
    write("ctnetlink", "len_short", msg(ct(6), nfgen(), length=8))
    # A bare header claiming 64 bytes: without the walk's check the parser reads the
    # nfgenmsg past the datagram (fuzz/selftest.sh relies on this seed).
    write("ctnetlink", "header_only", struct.pack("<IHHII", 64, ct(4), NLM_F_MULTI, SEQ, PORT))
    write("ctnetlink", "len_past_end", msg(ct(6), nfgen() + attr(2, be32(1)), length=64))
    unaligned = struct.pack("<IHHII", 25, ct(6), NLM_F_MULTI, SEQ, PORT) + nfgen() + struct.pack("<HH", 8, 2) + b"\1"
    write("ctnetlink", "last_unaligned", stats(0) + unaligned)
    write("ctnetlink", "done_int_min", done(-2**31))
    write("ctnetlink", "error_int_min", msg(NLMSG_ERROR, struct.pack("<i", -2**31) + b"\0" * 16, flags=0))
    write("ctnetlink", "nested_overlong", msg(ct(0), nfgen() + struct.pack("<HH", 0x40, 0x8001) + attr(1, b"")) + done())


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    text_seeds()
    record_seeds()
    ctnetlink_seeds()
