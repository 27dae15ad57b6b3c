"""Exact packet counting at the default netfilter probes, by conntrack state, status bit and
zone, checked against the packets sent and against nftables counters at the same hooks.

Topology: namespaces A and B joined by one veth pair (A is 10.213.1.1, B 10.213.1.2); the
exporter watches only the test's namespaces (netns list mode).
"""

import unittest

from nfct_harness import (DEFAULT_PROBES, FTP_HELPER_RULES, UDP_ECHO, NfctTestCase,
                          OracleSpec, assert_matches_oracle, conntrack_on, finish, ftp_exchange, key,
                          ping, tcp_exchange, udp_send)

IN, POST = "nf:ipv4:input", "nf:ipv4:postrouting"
PING_BYTES = 84  # 20 IPv4 + 8 ICMP + 56 payload: skb->len at both hooks


class CountingTest(NfctTestCase):

    def pair(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        addr_a, addr_b = self.lab.veth(a, b)
        return a, b, addr_a, addr_b

    def series(self, m, metric, label, ns, probe):
        return m.by(metric, label, probe=probe, netns=ns.label)

    # ---------------------------------------------------------------- 1. ping

    def test_ping_states_bits_and_zone_per_probe(self):
        """10 pings A -> B: A postrouting new 1 + established 9, A input reply 10; B input
        new 1 + established 9, B postrouting reply 10; nothing else, nothing elsewhere."""
        a, b, _, addr_b = self.pair()
        # Two namespaces that are not in the list: their traffic must not be counted.
        c, d = self.lab.netns("c"), self.lab.netns("d")
        _, addr_d = self.lab.veth(c, d)
        for ns in (a, b, c, d):
            conntrack_on(ns, family="inet")  # the recipe: an inet table
        ex = self.exporter(netns=[a, b], by_path=[b])  # B as a path: /run/netns/NAME

        ping(a, addr_b, 10)
        ping(c, addr_d, 3)
        expected_states = {
            (a, POST): {"new": 1, "established": 9},
            (a, IN): {"reply": 10},
            (b, IN): {"new": 1, "established": 9},
            (b, POST): {"reply": 10},
        }
        expected = {key("nfct_packets_total", probe=p, netns=ns.label, state=s): v
                    for (ns, p), states in expected_states.items() for s, v in states.items()}
        m = ex.wait_counts(expected)

        for (ns, probe), states in expected_states.items():
            where = "%s %s" % (ns.name, probe)
            self.assertEqual(self.series(m, "nfct_packets_total", "state", ns, probe), states, where)
            self.assertEqual(self.series(m, "nfct_bytes_total", "state", ns, probe),
                             {s: v * PING_BYTES for s, v in states.items()}, where)
            # The first request is not confirmed yet when a probe sees it (confirmation
            # runs after the probes) and has not seen a reply; every later packet has both.
            later = sum(states.values()) - states.get("new", 0)
            self.assertEqual(self.series(m, "nfct_status_packets_total", "bit", ns, probe),
                             {"seen_reply": later, "confirmed": later}, where)
            zones = {(l["zone"], l["direction"], l["state"]): int(v) for l, v in
                     m.select("nfct_zone_packets_total", probe=probe, netns=ns.label)}
            self.assertEqual(zones, {("0", "default", s): v for s, v in states.items()}, where)
            self.assertIsNone(m.value("nfct_no_conntrack_packets_total", probe=probe, netns=ns.label))
        # Per namespace, over both IPv4 probes: new 1, established 9, reply 10.
        for ns in (a, b):
            self.assertEqual({s: m.sum("nfct_packets_total", netns=ns.label, state=s)
                              for s in ("new", "established", "reply")},
                             {"new": 1, "established": 9, "reply": 10}, ns.name)
        # List mode: only A and B are hooked.
        for metric in ("nfct_packets_total", "nfct_status_packets_total", "nfct_zone_packets_total"):
            self.assertLessEqual(m.netns_labels(metric), {a.label, b.label}, metric)
        for ns in (c, d):
            self.assertEqual(m.select("nfct_probe_attached", netns=ns.label), [])

    # ---------------------------------------------------------------- 2. ICMP errors

    def test_udp_to_closed_port_counts_related_reply(self):
        """3 UDP datagrams to a closed port: 3 ICMP port unreachable, related_reply at A's
        input and at B's postrouting; the datagrams themselves stay `new` (no reply)."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.exporter(netns=[a, b])

        udp_send(a, addr_b, 9, 3)
        expected = {
            key("nfct_packets_total", probe=POST, netns=a.label, state="new"): 3,
            key("nfct_packets_total", probe=IN, netns=a.label, state="related_reply"): 3,
            key("nfct_packets_total", probe=IN, netns=b.label, state="new"): 3,
            key("nfct_packets_total", probe=POST, netns=b.label, state="related_reply"): 3,
        }
        m = ex.wait_counts(expected)
        self.assertEqual(self.series(m, "nfct_packets_total", "state", a, IN), {"related_reply": 3})
        self.assertEqual(self.series(m, "nfct_packets_total", "state", a, POST), {"new": 3})
        self.assertEqual(self.series(m, "nfct_packets_total", "state", b, IN), {"new": 3})
        self.assertEqual(self.series(m, "nfct_packets_total", "state", b, POST), {"related_reply": 3})
        # An ICMP error carries the IP header and the whole 60-byte datagram: 20 + 8 + 60.
        self.assertEqual(m.get("nfct_bytes_total", probe=IN, netns=a.label, state="related_reply"), 3 * 88)
        self.assertEqual(m.get("nfct_bytes_total", probe=POST, netns=a.label, state="new"), 3 * 60)
        # An ICMP error does not make the connection `seen_reply`.
        self.assertEqual(m.get("nfct_status_packets_total", probe=IN, netns=a.label, bit="seen_reply"), 0)

    # ---------------------------------------------------------------- 3. TCP

    def test_tcp_connection_states_and_bits_match_nft(self):
        """A TCP connection carrying 20000 bytes: new/established/reply and the bits
        seen_reply, assured, confirmed at each hook equal nft's counters."""
        a, b, _, addr_b = self.pair()
        oracle = OracleSpec()
        for ns in (a, b):
            oracle.install(ns)
        ex = self.exporter(netns=[a, b])

        tcp_exchange(self.lab, a, b, addr_b, 5001, 20000)
        m, counters = assert_matches_oracle(ex, oracle, [a, b])

        # Grounded in TCP itself: one SYN per side is `new`; data flows in both directions.
        self.assertEqual(m.get("nfct_packets_total", probe=POST, netns=a.label, state="new"), 1)
        self.assertEqual(m.get("nfct_packets_total", probe=IN, netns=b.label, state="new"), 1)
        for ns, probe in ((a, POST), (a, IN), (b, IN), (b, POST)):
            where = "%s %s" % (ns.name, probe)
            for bit in ("seen_reply", "assured", "confirmed"):
                self.assertGreater(m.get("nfct_status_packets_total", probe=probe, netns=ns.label, bit=bit), 0,
                                   where + " " + bit)
        for ns, probe, state in ((a, POST, "established"), (a, IN, "reply"),
                                 (b, IN, "established"), (b, POST, "reply")):
            self.assertGreater(m.get("nfct_packets_total", probe=probe, netns=ns.label, state=state), 0)
        # The payload went A -> B: at least 20000 bytes of `established` packets at B's input.
        self.assertGreater(m.get("nfct_bytes_total", probe=IN, netns=b.label, state="established"), 20000)

    # ---------------------------------------------------------------- 4. zones

    def test_zones_and_zone_directions(self):
        """`ct zone set 7` (ICMP) and `ct original zone set 9` (UDP) in A's raw chains:
        zone="7",direction="default" and zone="9",direction="original" series, exactly
        equal to nft's `ct zone N` counters and to the packets sent."""
        a, b, _, addr_b = self.pair()
        a.nft("""
table ip nfct_zones {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    ip protocol icmp ct zone set 7
    udp sport 7000 ct original zone set 9
  }
  chain out {
    type filter hook output priority raw; policy accept;
    ip protocol icmp ct zone set 7
    udp dport 7000 ct original zone set 9
  }
}
""")
        oracle = OracleSpec(zones=(0, 7, 9))
        for ns in (a, b):
            oracle.install(ns)
        ex = self.exporter(netns=[a, b])

        echo = self.lab.background(b, UDP_ECHO, addr_b, 7000, 3)
        udp_send(a, addr_b, 7000, 3, expect_reply=True)
        finish(echo)
        ping(a, addr_b, 5)
        m, _ = assert_matches_oracle(ex, oracle, [a, b])

        def zones(ns, probe):
            return {(l["zone"], l["direction"], l["state"]): int(v) for l, v in
                    m.select("nfct_zone_packets_total", probe=probe, netns=ns.label)}

        self.assertEqual(zones(a, POST), {("7", "default", "new"): 1, ("7", "default", "established"): 4,
                                          ("9", "original", "new"): 1, ("9", "original", "established"): 2})
        self.assertEqual(zones(a, IN), {("7", "default", "reply"): 5, ("9", "original", "reply"): 3})
        # B sets no zone: its connections are in zone 0.
        self.assertEqual(zones(b, IN), {("0", "default", "new"): 2, ("0", "default", "established"): 6})
        self.assertEqual(zones(b, POST), {("0", "default", "reply"): 8})

    # ---------------------------------------------------------------- 5. NAT

    def test_snat_and_dnat_bits_match_nft(self):
        """SNAT (UDP from A to B leaves as 10.213.1.11) and DNAT (pings to 10.213.1.99 go
        to B): src_nat and dst_nat bits equal nft's `ct status snat|dnat` at the same hook."""
        a, b, _, addr_b = self.pair()
        a.run(["ip", "addr", "add", "10.213.1.11/24", "dev", "veth0"])
        a.nft("""
table ip nfct_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    udp dport 7000 snat ip to 10.213.1.11
  }
  chain out {
    type nat hook output priority -100; policy accept;
    ip daddr 10.213.1.99 dnat ip to %s
  }
}
""" % addr_b)
        oracle = OracleSpec()
        for ns in (a, b):
            oracle.install(ns)
        ex = self.exporter(netns=[a, b])

        echo = self.lab.background(b, UDP_ECHO, addr_b, 7000, 3)
        udp_send(a, addr_b, 7000, 3, expect_reply=True)
        finish(echo)
        ping(a, "10.213.1.99", 4)
        m, counters = assert_matches_oracle(ex, oracle, [a, b])

        bits = lambda ns, probe: {b: v for b, v in self.series(m, "nfct_status_packets_total", "bit", ns, probe).items()
                                  if b in ("src_nat", "dst_nat")}
        # 3 datagrams out + 3 replies in carry src_nat; 4 pings out + 4 replies in dst_nat.
        self.assertEqual(bits(a, POST), {"src_nat": 3, "dst_nat": 4})
        self.assertEqual(bits(a, IN), {"src_nat": 3, "dst_nat": 4})
        # B sees plain connections from 10.213.1.11 and 10.213.1.1.
        self.assertEqual(bits(b, IN), {})
        self.assertEqual(bits(b, POST), {})

    # ---------------------------------------------------------------- 6. mixed burst

    def test_mixed_burst_matches_nft_for_every_state_and_bit(self):
        """Ping, UDP (answered, to a closed port, NATed), TCP, an FTP data connection (related,
        expected) and untracked UDP: every packets/bytes/status series of A and B at both
        IPv4 probes equals the nft counter for the same packets at the same hook."""
        a, b, addr_a, addr_b = self.pair()
        a.run(["ip", "addr", "add", "10.213.1.11/24", "dev", "veth0"])
        a.nft("""
table ip nfct_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    udp dport 7001 snat ip to 10.213.1.11
  }
  chain out {
    type nat hook output priority -100; policy accept;
    ip daddr 10.213.1.99 dnat ip to %s
  }
}
""" % addr_b)
        a.nft(FTP_HELPER_RULES)
        notrack = """
table ip nfct_raw {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    udp dport 5555 notrack
    udp sport 5555 notrack
  }
  chain out {
    type filter hook output priority raw; policy accept;
    udp dport 5555 notrack
    udp sport 5555 notrack
  }
}
"""
        oracle = OracleSpec(zones=(0,))
        for ns in (a, b):
            ns.nft(notrack)
            oracle.install(ns)
        ex = self.exporter(netns=[a, b])

        ping(a, addr_b, 5)
        ping(b, addr_a, 3)
        ping(a, "10.213.1.99", 2)                           # DNAT
        udp_send(a, addr_b, 9, 3)                           # closed port: related_reply
        echo = self.lab.background(b, UDP_ECHO, addr_b, 7000, 4)
        udp_send(a, addr_b, 7000, 4, expect_reply=True)
        finish(echo)
        echo = self.lab.background(b, UDP_ECHO, addr_b, 7001, 2)
        udp_send(a, addr_b, 7001, 2, expect_reply=True)     # SNAT
        finish(echo)
        echo = self.lab.background(b, UDP_ECHO, addr_b, 5555, 4)
        udp_send(a, addr_b, 5555, 4, expect_reply=True)     # untracked both ways
        finish(echo)
        tcp_exchange(self.lab, a, b, addr_b, 5002, 30000)
        ftp_exchange(self.lab, a, addr_a, b, addr_b)        # related + expected at A
        m, counters = assert_matches_oracle(ex, oracle, [a, b])

        # The burst must have exercised every state and every bit somewhere, or the
        # comparison above proves little.
        for s in ("new", "established", "related", "reply", "related_reply", "untracked"):
            self.assertGreater(m.sum("nfct_packets_total", state=s), 0, s)
        for bit in ("expected", "seen_reply", "assured", "confirmed", "src_nat", "dst_nat"):
            self.assertGreater(m.sum("nfct_status_packets_total", bit=bit), 0, bit)
        self.assertEqual(m.get("nfct_packets_total", probe=IN, netns=a.label, state="untracked"), 4)
        self.assertEqual(m.get("nfct_packets_total", probe=POST, netns=a.label, state="untracked"), 4)
        # The FTP data connection's SYN from B:20 is `related` at A's input.
        self.assertEqual(m.get("nfct_packets_total", probe=IN, netns=a.label, state="related"), 1)
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)
        self.assertEqual(m.sum("nfct_map_overflow_packets_total"), 0)

    # ---------------------------------------------------------------- IPv6

    def test_default_probes_attach_and_count_ipv6(self):
        """With an inet table (IPv4 and IPv6 conntrack on) every default probe attaches, and
        3 pings to ::1 count at the IPv6 probes: output side new 1 + established 2 + reply 3,
        input side the same (loopback keeps the packet's conntrack state)."""
        a = self.lab.netns("a")
        conntrack_on(a, family="inet")
        ex = self.exporter(netns=[a])
        m = ex.scrape()
        errors = {p: m.get("nfct_probe_attach_errors_total", probe=p) for p in DEFAULT_PROBES}
        self.assertEqual(errors, {p: 0 for p in DEFAULT_PROBES}, "exporter log:\n" + ex.log())
        for p in DEFAULT_PROBES:
            self.assertEqual(m.value("nfct_probe_up", probe=p), 1, p)
            self.assertEqual(m.value("nfct_probe_attached", probe=p, netns=a.label), 1, p)

        ping(a, "::1", 3, family=6)
        want = {"new": 1, "established": 2, "reply": 3}
        expected = {key("nfct_packets_total", probe=p, netns=a.label, state=s): v
                    for p in ("nf:ipv6:input", "nf:ipv6:postrouting") for s, v in want.items()}
        m = ex.wait_counts(expected)
        for p in ("nf:ipv6:input", "nf:ipv6:postrouting"):
            self.assertEqual(self.series(m, "nfct_packets_total", "state", a, p), want, p)


# The same checks with every key through the hash (slots off), and with one slot per CPU
# (the first key claims it, every other key collides and goes to the hash).
class CountingHashOnlyTest(CountingTest):
    SLOTS = 0


class CountingOneSlotTest(CountingTest):
    SLOTS = 1


if __name__ == "__main__":
    unittest.main()
