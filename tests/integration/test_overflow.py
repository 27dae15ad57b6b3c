"""A full counter map: packets that find no room are counted in the overflow series, never
lost. With maps.max_entries at its minimum and more label sets than fit (one zone per UDP
port), the exporter's per-label-set packets plus the overflow equal nft's count of every
packet at the same hook, and the map reports itself full. Run with the default slots
(the label sets fit in the slots: nothing overflows), no slots, one slot and 16 slots
(slots and hash both full).
"""

import unittest

from nfct_harness import IPV4_PROBES, NfctTestCase, OracleSpec, conntrack_on, udp_send, wait_for

PORTS = range(9000, 9040)  # 40 zones: more (probe, netns, zone, state) keys than 16 entries


class OverflowTest(NfctTestCase):

    def test_full_map_counts_overflow_exactly(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        _, addr_b = self.lab.veth(a, b)
        # Each destination port gets its own zone in A (zone id = port), so every new
        # connection is a new label set at A's postrouting.
        zone_map = ", ".join("%d : %d" % (p, p) for p in PORTS)
        a.nft("""
table ip nfct_zones {
  chain out {
    type filter hook output priority raw; policy accept;
    udp dport %d-%d ct zone set udp dport map { %s }
  }
}
""" % (PORTS[0], PORTS[-1], zone_map))
        conntrack_on(b)
        oracle = OracleSpec()
        for ns in (a, b):
            oracle.install(ns)
        ex = self.exporter(netns=[a, b], probes=IPV4_PROBES, extra={"maps": {"max_entries": 16}})

        for port in PORTS:
            udp_send(a, addr_b, port, 2)

        def settled():
            before = {ns.name: oracle.read(ns) for ns in (a, b)}
            m = ex.scrape()
            after = {ns.name: oracle.read(ns) for ns in (a, b)}
            if before != after:
                return False, "nft counters still moving"
            diffs = []
            for probe, hook in (("nf:ipv4:postrouting", "postrouting"), ("nf:ipv4:input", "input")):
                nft_all = sum(after[ns.name]["%s_all" % hook][0] for ns in (a, b))
                counted = m.sum("nfct_packets_total", probe=probe) + \
                    m.sum("nfct_no_conntrack_packets_total", probe=probe)
                overflow = m.get("nfct_map_overflow_packets_total", probe=probe)
                if counted + overflow != nft_all:
                    diffs.append("%s: counted %s + overflow %s != nft %s" % (probe, counted, overflow, nft_all))
            return (not diffs), (m if not diffs else "; ".join(diffs))

        m = wait_for(settled, timeout=10, what="counted + overflow == nft")
        self.assertEqual(m.get("nfct_map_max_entries", map="counters"), 16)
        if self.SLOTS is None:
            # About 90 label sets in 4096 slots per CPU: a handful collide and go to the
            # hash, far fewer than its 16 entries; nothing overflows.
            self.assertLess(m.get("nfct_map_entries", map="counters"), 16)
            self.assertEqual(m.sum("nfct_map_overflow_packets_total"), 0)
            self.assertEqual(m.sum("nfct_packets_total", probe="nf:ipv4:postrouting", netns=a.label),
                             2 * len(PORTS))
            return
        self.assertEqual(m.get("nfct_map_entries", map="counters"), 16)
        self.assertEqual(m.get("nfct_map_max_entries", map="counters"), 16)
        # A's postrouting saw 40 new connections in 40 zones: most of them overflowed.
        self.assertGreater(m.get("nfct_map_overflow_packets_total", probe="nf:ipv4:postrouting"), 0)
        # Every UDP datagram A sent is accounted for, in a series or in the overflow.
        sent = 2 * len(PORTS)
        self.assertEqual(m.sum("nfct_packets_total", probe="nf:ipv4:postrouting", netns=a.label) +
                         m.get("nfct_map_overflow_packets_total", probe="nf:ipv4:postrouting"), sent)
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)


class OverflowHashOnlyTest(OverflowTest):
    SLOTS = 0


class OverflowOneSlotTest(OverflowTest):
    SLOTS = 1


class OverflowFullSlotsTest(OverflowTest):
    SLOTS = 16


if __name__ == "__main__":
    unittest.main()
