"""No counter series ever decreases, and the final counts are exact, while a UDP flood
across many label sets runs, the exporter is scraped over and over, and namespaces come
and go (their inode numbers are reused by the next ones).

A floods B over 128 destination ports, each its own zone in A (`ct zone set @th,18,14`):
several hundred label sets at A's postrouting, more than the slots of the one-slot and
16-slot runs hold, so slots and hash both count. Meanwhile pairs of namespaces are made,
pinged, checked against their own nft counters and deleted, one pair after another. A
thread scrapes all the time and remembers the highest value each counter series ever
showed; a scrape with a lower value for a series fails the test, also when the series
reappears after its namespace was deleted (a new namespace with the same inode number
continues its series: the netns label cannot tell the two apart).

Independent count: nft counters at the exporter's hooks (OracleSpec), per namespace; for
inode numbers that were reused, the sum over the namespaces that had them.
"""

import threading
import unittest

from nfct_harness import (IPV4_PROBES, NfctTestCase, OracleSpec, conntrack_on, finish, ping, run,
                          wait_for)

PORT0, NPORTS = 20000, 128
ROUNDS = 5  # transient pairs, one after another
PINGS = 6
COUNTERS = ("nfct_packets_total", "nfct_bytes_total", "nfct_status_packets_total",
            "nfct_zone_packets_total", "nfct_no_conntrack_packets_total",
            "nfct_no_conntrack_bytes_total", "nfct_map_overflow_packets_total",
            "nfct_map_overflow_bytes_total")

# argv: dst port0 nports seconds. Sends datagrams round-robin over the ports until the
# time is up (at most about 100 000 a second: the machine is shared); prints how many.
FLOOD = r"""
import socket, sys, time
dst, port0, nports, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("ready", flush=True)
n, end = 0, time.monotonic() + secs
while time.monotonic() < end:
    for i in range(nports):
        s.sendto(b"f", (dst, port0 + i))
    n += nports
    time.sleep(0.001)
print(n, flush=True)
"""


class Scraper(threading.Thread):
    """Scrapes until stopped; records every decrease of a counter series."""

    def __init__(self, ex):
        super().__init__(daemon=True)
        self.ex = ex
        self.stop = threading.Event()
        self.highest = {}
        self.decreases = []
        self.scrapes = 0
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                m = self.ex.scrape()
                self.scrapes += 1
                for name, labels, value in m.samples:
                    if name not in COUNTERS:
                        continue
                    k = (name, tuple(sorted(labels.items())))
                    if value < self.highest.get(k, 0):
                        self.decreases.append((k, self.highest[k], value))
                    self.highest[k] = max(value, self.highest.get(k, 0))
        except Exception as e:  # reported by the test
            self.error = e


class MonotonicTest(NfctTestCase):

    def test_no_series_decreases_during_flood_scrapes_and_namespace_churn(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        _, addr_b = self.lab.veth(a, b)
        a.nft("""
table ip nfct_zones {
  chain out { type filter hook output priority raw; policy accept; udp dport %d-%d ct zone set @th,18,14; }
}
""" % (PORT0, PORT0 + NPORTS - 1))
        conntrack_on(b)
        oracle = OracleSpec()
        for ns in (a, b):
            oracle.install(ns)
        pairs = [(self.lab.netns("c%d" % i, create=False), self.lab.netns("d%d" % i, create=False))
                 for i in range(ROUNDS)]
        ex = self.exporter(netns=[a, b] + [n for p in pairs for n in p], probes=IPV4_PROBES,
                           wait_probes=IPV4_PROBES, extra={"netns_rescan_interval": "200ms"},
                           ready=False)
        ex.wait_ready(netns=[a, b])

        scraper = Scraper(ex)
        scraper.start()
        self.addCleanup(scraper.stop.set)
        flood = self.lab.background(a, FLOOD, addr_b, PORT0, NPORTS, 10)

        expected = {}  # (inode, probe) -> nft packets over every namespace with that inode
        inodes = set()
        for c, d in pairs:
            self.lab.create(c)
            self.lab.create(d)
            _, addr_d = self.lab.veth(c, d)
            for ns in (c, d):
                conntrack_on(ns)
                oracle.install(ns)
            ex.wait_ready(netns=[c, d])
            ping(c, addr_d, PINGS)
            want = {}
            for ns in (c, d):
                counters = oracle.read(ns)
                inodes.add(ns.inode)
                for hook in OracleSpec.HOOKS:
                    k = (ns.inode, "nf:ipv4:" + hook)
                    want[k] = expected.get(k, 0) + counters["%s_all" % hook][0]

            def counted(m, inode, probe):
                return (m.sum("nfct_packets_total", probe=probe, netns=str(inode)) +
                        m.sum("nfct_no_conntrack_packets_total", probe=probe, netns=str(inode)))

            def caught_up():
                m = ex.scrape()
                got = {k: counted(m, *k) for k in want}
                return got == want, (got, want)

            wait_for(caught_up, timeout=10, what="%s and %s counted as nft counted them" % (c.name, d.name))
            expected.update(want)
            purged = ex.scrape().get("nfct_netns_purged_total")
            for ns in (c, d):
                run(["ip", "netns", "del", ns.name])
            wait_for(lambda: (ex.scrape().get("nfct_netns_purged_total") >= purged + 2, None), timeout=10,
                     what="%s and %s to be purged" % (c.name, d.name))

        sent = int(finish(flood, timeout=30).strip().splitlines()[-1])
        scraper.stop.set()
        scraper.join(timeout=30)
        self.assertIsNone(scraper.error)

        def flood_counted():
            m = ex.scrape()
            oa, ob = oracle.read(a), oracle.read(b)
            got = (m.sum("nfct_packets_total", probe="nf:ipv4:postrouting", netns=a.label),
                   m.sum("nfct_packets_total", probe="nf:ipv4:input", netns=b.label))
            want = (oa["postrouting_all"][0], ob["input_all"][0])
            return got == want, (m, got, want)

        m, got, want = wait_for(flood_counted, timeout=15, what="the flood counted as nft counted it")
        self.assertEqual(m.sum("nfct_map_overflow_packets_total"), 0)
        # A's postrouting saw every datagram A sent (plus nothing else: no other traffic).
        self.assertEqual(got[0], sent)
        # One series per port's zone (state new: B never answers), and twice as many label
        # sets (the first datagram of each flow is not confirmed yet when the probe sees it).
        self.assertEqual(len(m.select("nfct_zone_packets_total", probe="nf:ipv4:postrouting",
                                      netns=a.label)), NPORTS)
        self.assertGreater(scraper.scrapes, 20)
        self.assertEqual(scraper.decreases, [])
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)
        reused = ROUNDS * 2 - len(inodes)
        print("\n%d scrapes, %d datagrams flooded, %d of %d transient inode numbers reused"
              % (scraper.scrapes, sent, reused, ROUNDS * 2))


class MonotonicHashOnlyTest(MonotonicTest):
    SLOTS = 0


class MonotonicSixteenSlotsTest(MonotonicTest):
    SLOTS = 16


if __name__ == "__main__":
    unittest.main()
