"""The drop probe (skb:kfree_skb): nfct_drop_packets_total / nfct_drop_bytes_total by
namespace, drop reason, conntrack state and zone, checked exactly against the kernel's own
counters in the namespaces the tests make: nft counters on the dropping rules, nstat
(UdpNoPorts, UdpRcvbufErrors, IpInHdrErrors) and conntrack -S (drop).

Reason names are read here from the running kernel's BTF with a parser of its own, not
the exporter's. The probe sees every namespace on the host and other tests may drop
packets meanwhile: every comparison is restricted to the test's own netns labels.
"""

import json
import struct
import subprocess
import unittest

from nfct_harness import (NfctTestCase, UDP_ECHO, conntrack_on, finish, run, wait_for)
from table_harness import TCP_HOLD, UDP_SPRAY, parse_conntrack_stats, reap, sum_stats

DROP_PROBE = "drop:skb:kfree_skb"
CT_MAX = "/proc/sys/net/netfilter/nf_conntrack_max"
FAMILIES = ("nfct_drop_packets_total", "nfct_drop_bytes_total")


# ------------------------------------------------------------------ reason names from BTF

def kernel_drop_reasons(path="/sys/kernel/btf/vmlinux"):
    """{label: value} of enum skb_drop_reason in the kernel's BTF, labelled as the
    exporter documents it (lower case, without SKB_DROP_REASON_ or SKB_)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _ver, _flags, hdr_len, type_off, type_len, str_off, _str_len = struct.unpack_from("<HBBIIIII", data)
    assert magic == 0xEB9F, "not BTF"
    types = hdr_len + type_off
    strings = hdr_len + str_off

    def name(off):
        end = data.index(b"\0", strings + off)
        return data[strings + off:end].decode()

    # Bytes that follow struct btf_type (12 bytes), per kind: (fixed, per member).
    extra = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
             15: (0, 12), 17: (4, 0), 19: (0, 12)}
    pos, end = types, types + type_len
    while pos < end:
        name_off, info, _ = struct.unpack_from("<III", data, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        fixed, per = extra.get(kind, (0, 0))
        if kind == 6 and name(name_off) == "skb_drop_reason":
            out = {}
            for i in range(vlen):
                n_off, val = struct.unpack_from("<Ii", data, pos + 12 + 8 * i)
                n = name(n_off)
                for prefix in ("SKB_DROP_REASON_", "SKB_"):
                    if n.startswith(prefix):
                        n = n[len(prefix):]
                        break
                out[n.lower()] = val
            return out
        pos += 12 + fixed + per * vlen
    raise AssertionError("no enum skb_drop_reason in %s" % path)


REASONS = kernel_drop_reasons()


def reason(name):
    """The label the running kernel gives a reason; fails when it has no such reason."""
    if name not in REASONS:
        raise AssertionError("the kernel names no drop reason %r" % name)
    return name


# ------------------------------------------------------------------ traffic

# argv: dst port first_count then_count size. Sends one datagram and waits for its echo
# (the flow is then established), then sends then_count more without waiting.
UDP_THEN_MORE = r"""
import socket, sys
dst, port, then, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"e" * size, (dst, port))
s.recvfrom(65536)
for i in range(then):
    s.sendto(b"e" * size, (dst, port))
"""

# argv: addr port rcvbuf. A UDP socket with a small receive buffer that reads nothing
# until stdin closes, then counts what its queue held.
UDP_SINK = r"""
import socket, sys
addr, port, rcvbuf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.bind((addr, port))
print("ready", flush=True)
sys.stdin.read()
s.setblocking(False)
n = 0
while True:
    try:
        s.recv(65536)
        n += 1
    except BlockingIOError:
        break
print(n, flush=True)
"""

# argv: dst port count ttl size. count datagrams with the given IP TTL.
UDP_TTL = r"""
import socket, sys
dst, port, count, ttl, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
for i in range(count):
    s.sendto(b"t" * size, (dst, port))
"""


def nstat(ns, *names):
    """{name: value} of the namespace's absolute SNMP counters (nstat -az)."""
    out = ns.run(["nstat", "-az", "--json"] + list(names)).stdout
    values = json.loads(out)["kernel"]
    return {n: values.get(n, 0) for n in names}


# ------------------------------------------------------------------ the tests

class DropTest(NfctTestCase):

    def drop_exporter(self, netns, **extra):
        """An exporter with netfilter probes in netns and the drop probe on."""
        e = self.exporter(netns=netns, probes=["nf:ipv4:input", "nf:ipv4:postrouting"],
                          extra=dict({"table_stats": {"enabled": False}}, **extra))
        wait_for(lambda: e.scrape().value("nfct_probe_up", probe=DROP_PROBE) == 1, what="the drop probe")
        return e

    @staticmethod
    def drops(m, ns):
        """{(reason, state, zone): (packets, bytes)} of one namespace."""
        out = {}
        for labels, v in m.select("nfct_drop_packets_total", netns=ns.label):
            k = (labels["reason"], labels["state"], labels["zone"])
            out[k] = (int(v), int(m.value("nfct_drop_bytes_total", netns=ns.label, reason=k[0], state=k[1],
                                          zone=k[2])))
        return out

    def wait_drops(self, ex, ns, want, what, exact_set=True):
        """Polls until the namespace's drop series are `want` ({(reason, state, zone):
        (packets, bytes) or packets}); with exact_set, no other series of it exist."""
        def check():
            got = self.drops(ex.scrape(), ns)
            cmp = {k: (v if isinstance(want[k], tuple) else v[0]) for k, v in got.items()
                   if exact_set or k in want}
            return cmp == want, "got %s, want %s" % (cmp, want)
        wait_for(check, timeout=10, what=what)
        # And it stays so: nothing counted late or twice.
        self.assertEqual({k: (v if isinstance(want[k], tuple) else v[0]) if k in want else v
                          for k, v in self.drops(ex.scrape(), ns).items() if exact_set or k in want}, want)

    def test_netfilter_drops_by_state_and_zone(self):
        """N packets of a new flow and M packets of an established flow in zone 7, dropped
        by nft rules: exactly N and M with the kernel's netfilter drop reason, the right
        state and zone, and the bytes nft counted."""
        n, m, size = 7, 5, 40
        a, b = self.lab.netns("a"), self.lab.netns("b")
        addr_a, addr_b = self.lab.veth(a, b)
        b.nft("""
table ip nfct_drop {
  counter new_drops { }
  counter est_drops { }
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    udp dport 7002 ct zone set 7
  }
  chain out {
    type filter hook output priority raw; policy accept;
    udp sport 7002 ct zone set 7
  }
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 7001 ct state new counter name new_drops drop
    udp dport 7002 ct state established counter name est_drops drop
    ct state new accept
  }
}
""")
        ex = self.drop_exporter([a, b])
        # The new flow: one source port; a dropped entry is never confirmed, so every
        # packet of it is new again.
        a.python(r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"n" * int(sys.argv[3]), (sys.argv[1], 7001))
""", addr_b, n, size)
        echo = self.lab.background(b, UDP_ECHO, addr_b, 7002, 1)
        a.python(UDP_THEN_MORE, addr_b, 7002, m, size)
        finish(echo)

        nf = reason("netfilter_drop")
        counters = b.counters("nfct_drop")
        self.assertEqual(counters["new_drops"][0], n)
        self.assertEqual(counters["est_drops"][0], m)
        want = {(nf, "new", "0"): counters["new_drops"], (nf, "established", "7"): counters["est_drops"]}
        self.wait_drops(ex, b, want, "the netfilter drops in B")
        self.assertEqual(want[(nf, "new", "0")], (n, n * (20 + 8 + size)))  # IP packet bytes
        # A dropped nothing.
        self.assertEqual(self.drops(ex.scrape(), a), {})

    def test_closed_port_and_full_receive_queue(self):
        """Datagrams to a closed UDP port and to a socket whose receive queue is full: each
        drop under its own reason, as many as nstat's UdpNoPorts and UdpRcvbufErrors, and
        with what the socket queued, as many as were sent."""
        ns = self.lab.netns("udp")
        conntrack_on(ns)
        ex = self.drop_exporter([ns])
        before = nstat(ns, "UdpNoPorts", "UdpRcvbufErrors")
        closed, flood = 9, 200
        ns.python(UDP_TTL, "127.0.0.1", 7100, closed, 64, 16)
        sink = self.piped(ns, UDP_SINK, "127.0.0.1", 7200, 1024)
        ns.python(UDP_TTL, "127.0.0.1", 7200, flood, 64, 1000)
        queued = int(sink.communicate(input="", timeout=20)[0].strip())  # closes its stdin
        after = nstat(ns, "UdpNoPorts", "UdpRcvbufErrors")
        no_ports = after["UdpNoPorts"] - before["UdpNoPorts"]
        rcvbuf = after["UdpRcvbufErrors"] - before["UdpRcvbufErrors"]
        self.assertEqual(no_ports, closed)
        self.assertGreater(rcvbuf, 0)
        self.assertEqual(queued + rcvbuf, flood)  # every datagram queued or dropped
        # UDP releases the conntrack entry (nf_reset_ct) before it looks for a socket and
        # before it queues: these drops carry none.
        want = {(reason("no_socket"), "no_conntrack", "0"): no_ports,
                (reason("socket_rcvbuff"), "no_conntrack", "0"): rcvbuf}
        self.wait_drops(ex, ns, want, "UDP drops", exact_set=False)
        # Bytes are skb->len where the packet is dropped: UDP has pulled the IP header by
        # then, so a datagram counts its UDP header and payload.
        m = ex.scrape()
        self.assertEqual(m.get("nfct_drop_bytes_total", netns=ns.label, reason="no_socket", state="no_conntrack",
                               zone="0"), closed * (8 + 16))

    def piped(self, ns, script, *args):
        """A helper script in ns with a pipe on its stdin (closing it ends the helper);
        waits for its first line, "ready"."""
        p = subprocess.Popen(ns.cmd(["python3", "-u", "-c", script] + [str(a) for a in args]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(reap, p)
        line = p.stdout.readline()
        if line.strip() != "ready":
            reap(p)
            raise AssertionError("helper did not start: %r %s" % (line, p.stderr.read()))
        return p

    def test_ttl_expiring_in_a_forwarding_namespace(self):
        """Packets whose TTL runs out in a router namespace: dropped there as ip_inhdr, in
        state new (conntrack saw them at prerouting), as many as its IpInHdrErrors."""
        a, r, b = self.lab.netns("a"), self.lab.netns("r"), self.lab.netns("b")
        addr_a, addr_ra = self.lab.veth(a, r)
        addr_rb, addr_b = self.lab.veth(r, b, if_a="veth1")
        r.sysctl("net.ipv4.ip_forward", 1)
        conntrack_on(r)
        a.run(["ip", "route", "add", addr_b.rsplit(".", 1)[0] + ".0/24", "via", addr_ra])
        ex = self.drop_exporter([a, r, b])
        before = nstat(r, "IpInHdrErrors")["IpInHdrErrors"]
        count = 6
        a.python(UDP_TTL, addr_b, 7300, count, 1, 24)
        errors = nstat(r, "IpInHdrErrors")["IpInHdrErrors"] - before
        self.assertEqual(errors, count)
        self.wait_drops(ex, r, {(reason("ip_inhdr"), "new", "0"): (count, count * (20 + 8 + 24))},
                        "TTL drops in R", exact_set=False)
        self.assertEqual(self.drops(ex.scrape(), b), {})  # nothing reached B

    def test_table_full_drops_equal_conntrack_drop_statistic(self):
        """With nf_conntrack_max lowered to what the namespace holds, new connections are
        dropped before they get an entry: state no_conntrack, reason netfilter_drop, as
        many as conntrack -S counts in `drop`. The limit is one value for the host: it is
        restored right after the traffic, and by a cleanup on failure."""
        ns = self.lab.netns("full")
        conntrack_on(ns)
        ex = self.drop_exporter([ns])
        # The limit also applies to the initial namespace, where the scrapes travel: hold
        # more entries here than there, so that the limit leaves it room.
        p = run(["conntrack", "-C"], check=False)
        initial = int(p.stdout) if p.returncode == 0 and p.stdout.strip().isdigit() else 0
        held = max(100, initial + 100)
        if held > 10000:
            self.skipTest("the initial namespace holds %d entries: too many to lower the limit" % held)
        self.piped(ns, TCP_HOLD, "127.0.0.1", 5555, held)
        entries = int(ns.run(["conntrack", "-C"]).stdout)
        self.assertEqual(entries, held)
        before = sum_stats(parse_conntrack_stats(ns.run(["conntrack", "-S"]).stdout))

        with open(CT_MAX) as f:
            original = f.read().strip()
        self.addCleanup(write_ct_max, original)
        write_ct_max(entries)
        try:
            sent, failed = map(int, ns.python(UDP_SPRAY, "127.0.0.1", 7000, 50).stdout.split())
        finally:
            write_ct_max(original)
        after = sum_stats(parse_conntrack_stats(ns.run(["conntrack", "-S"]).stdout))
        dropped = after["drop"] - before["drop"]
        self.assertEqual((sent, failed), (0, 50))
        self.assertEqual(dropped, 50)
        self.assertEqual(after["early_drop"], before["early_drop"])
        self.wait_drops(ex, ns, {(reason("netfilter_drop"), "no_conntrack", "0"): dropped},
                        "table-full drops", exact_set=False)

    def test_a_full_drop_map_counts_in_the_overflow_series(self):
        """maps.max_entries bounds the drop map too: 40 drops in 40 zones with room for 16
        label sets in the drop map and 16 in its counting table (drops.slots: 16; both
        shared with every namespace's drops) leave at most 32 series, and every drop not
        in a series of its own is in nfct_map_overflow_*{probe=drop}."""
        ns = self.lab.netns("ovf")
        zones = 40
        ns.nft("""
table ip nfct_drop_zones {
  counter dropped { }
  chain out {
    type filter hook output priority raw; policy accept;
    udp dport 20000-20039 ct zone set @th,18,14
  }
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 20000-20039 counter name dropped drop
    ct state new accept
  }
}
""")
        ex = self.drop_exporter([ns], maps={"max_entries": 16}, drops={"slots": 16})
        m0 = ex.scrape()
        ovf0 = m0.get("nfct_map_overflow_packets_total", probe=DROP_PROBE)
        # One datagram to each port, each in a zone of its own.
        ns.python(UDP_SPRAY, "127.0.0.1", 20000, zones)
        self.assertEqual(ns.counters("nfct_drop_zones")["dropped"][0], zones)

        def settled():
            m = ex.scrape()
            mine = self.drops(m, ns)
            ovf = m.get("nfct_map_overflow_packets_total", probe=DROP_PROBE) - ovf0
            counted = sum(p for p, _ in mine.values())
            return counted + ovf >= zones, (m, mine, ovf, counted)

        m, mine, ovf, counted = wait_for(settled, timeout=10, what="40 drops in series or overflow")
        self.assertEqual(m.get("nfct_map_max_entries", map="drops"), 16)
        self.assertLessEqual(m.get("nfct_map_entries", map="drops"), 16)
        self.assertEqual(m.get("nfct_map_max_entries", map="drop_slots"), 16)
        self.assertLessEqual(m.get("nfct_map_entries", map="drop_slots"), 16)
        self.assertLessEqual(len(mine), 32)
        self.assertGreater(ovf, 0)
        self.assertEqual(counted + ovf, zones)
        # The series that exist are right: one packet each, new, in its port's zone. The
        # zone is the port's low 14 bits as nft loads them, in network byte order into
        # the 16-bit zone id: port 20000 (low bits 0x0e20) is zone 0x200e.
        want_zones = {((v & 0xFF) << 8) | (v >> 8) for v in (p & 0x3FFF for p in range(20000, 20000 + zones))}
        for (r, state, zone), (packets, _) in mine.items():
            self.assertEqual((r, state, packets), (reason("netfilter_drop"), "new", 1))
            self.assertIn(int(zone), want_zones)

    def test_drops_of_a_vanished_namespace_leave_with_it(self):
        """The drop probe counts in its counting table first, whose slots stay claimed for
        good: when a namespace vanishes, its drop series go (its slots are hidden), the
        slots stay used, and another namespace's drop series stay exact."""
        sent = {"gone": 6, "kept": 4}
        spaces = {name: self.lab.netns(name) for name in sent}
        for ns in spaces.values():
            ns.nft("""
table ip nfct_drop_gone {
  counter dropped { }
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 7001 counter name dropped drop
  }
}
""")
        ex = self.drop_exporter(list(spaces.values()), netns_rescan_interval="200ms")
        nf = reason("netfilter_drop")
        for name, ns in spaces.items():
            ns.python(r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"g", ("127.0.0.1", 7001))
""", sent[name])
            self.assertEqual(ns.counters("nfct_drop_gone")["dropped"][0], sent[name])
            # No ct expression in the namespace: conntrack is off there.
            self.wait_drops(ex, ns, {(nf, "no_conntrack", "0"): sent[name]}, "the drops in " + name)
        used = ex.scrape().get("nfct_map_entries", map="drop_slots")
        self.assertGreaterEqual(used, 2)
        gone, kept = spaces["gone"], spaces["kept"]
        gone_label = gone.label
        self.lab.delete(gone)

        def left():
            m = ex.scrape()
            return not m.select("nfct_drop_packets_total", netns=gone_label), m

        m = wait_for(left, timeout=10, what="the vanished namespace's drop series to go")
        self.assertEqual(m.get("nfct_map_entries", map="drop_slots"), used)  # slots stay claimed
        self.assertEqual(self.drops(m, kept), {(nf, "no_conntrack", "0"): (sent["kept"], sent["kept"] * 29)})

    def test_probe_can_be_turned_off(self):
        ns = self.lab.netns("off")
        ex = self.exporter(netns=[ns], probes=["nf:ipv4:input"], wait_probes=["nf:ipv4:input"],
                           extra={"drops": {"enabled": False}, "table_stats": {"enabled": False}})
        ns.python(UDP_TTL, "127.0.0.1", 7100, 3, 64, 16)
        m = ex.scrape()
        self.assertIsNone(m.value("nfct_probe_up", probe=DROP_PROBE))
        self.assertEqual(m.select("nfct_drop_packets_total"), [])
        self.assertIsNone(m.value("nfct_map_entries", map="drops"))


def write_ct_max(value):
    with open(CT_MAX, "w") as f:
        f.write("%s\n" % value)


if __name__ == "__main__":
    unittest.main()
