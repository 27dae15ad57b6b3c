"""Live entries per zone, protocol and TCP state from the background table dump
(zone_entries.enabled), checked exactly against conntrack -L and conntrack -L -w ZONE.

One namespace, loopback traffic: UDP flows in zones 7 and 12 (both directions), in zone 9
(original direction only) and in no zone, and established TCP connections in zone 7.
"""

import collections
import unittest

from table_harness import FILL_RULES, TCP_HOLD, UDP_FILL, UDP_SPRAY, TableTestCase, wait_for

# Zones are set before conntrack (priority raw), on output: on loopback every packet,
# request and reply, passes there.
ZONE_RULES = """
table inet nfct_tbl_zones {
  chain out {
    type filter hook output priority raw; policy accept;
    udp dport 5000-5099 ct zone set 7
    tcp dport 5555 ct zone set 7
    tcp sport 5555 ct zone set 7
    udp dport 6000-6099 ct zone set 12
    udp dport 7000-7099 ct original zone set 9
  }
}
"""

DUMP = {"enabled": True, "interval": "300ms", "timeout": "300ms"}


def conntrack_view(ns):
    """{(zone, direction, protocol, tcp_state): entries} parsed from conntrack -L."""
    counts = collections.Counter()
    for line in ns.ct_list():
        f = line.split()
        proto = f[0]
        state = f[3].lower() if proto == "tcp" else ""
        zone, direction = "0", "default"
        for tok in f:
            for prefix, d in (("zone=", "default"), ("zone-orig=", "original"), ("zone-reply=", "reply")):
                if tok.startswith(prefix):
                    zone, direction = tok[len(prefix):], d
        counts[(zone, direction, proto, state)] += 1
    return dict(counts)


def exporter_view(m, ns):
    return {(l["zone"], l["direction"], l["protocol"], l["tcp_state"]): int(v)
            for l, v in m.select("nfct_zone_entries", netns=ns.label)}


class ZoneEntriesTest(TableTestCase):

    def zoned_namespace(self):
        ns = self.lab.netns("zones")
        ns.nft(ZONE_RULES)
        ns.python(UDP_SPRAY, "127.0.0.1", 5000, 5)   # zone 7
        ns.python(UDP_SPRAY, "127.0.0.1", 6000, 3)   # zone 12
        ns.python(UDP_SPRAY, "127.0.0.1", 7000, 4)   # zone 9, original direction
        ns.python(UDP_SPRAY, "127.0.0.1", 8000, 6)   # no zone
        self.lab.background(ns, TCP_HOLD, "127.0.0.1", 5555, 2)  # zone 7, established
        ns.run(["ping", "-c", "1", "-W", "1", "127.0.0.1"])      # no zone
        return ns

    def wait_for_dump_of(self, ex, ns, want):
        """Polls until a dump shows exactly `want`; returns those metrics."""
        def matches():
            m = ex.scrape()
            got = exporter_view(m, ns)
            if got == want:
                return True, m
            return False, "exporter %s\nconntrack %s" % (sorted(got.items()), sorted(want.items()))
        return wait_for(matches, timeout=15, what="a dump equal to conntrack -L")

    def test_entries_per_zone_equal_conntrack(self):
        ns = self.zoned_namespace()
        ex = self.exporter([ns], zone_entries=DUMP)
        want = conntrack_view(ns)
        self.assertEqual(want, {
            ("7", "default", "udp", ""): 5,
            ("7", "default", "tcp", "established"): 2,
            ("12", "default", "udp", ""): 3,
            ("9", "original", "udp", ""): 4,
            ("0", "default", "udp", ""): 6,
            ("0", "default", "icmp", ""): 1,
        })
        m = self.wait_for_dump_of(ex, ns, want)

        # conntrack -L -w ZONE counts, per zone, the entries whose zone applies to both
        # directions (CTA_ZONE); an entry zoned in one direction only is shown by it as
        # zone 0.
        def per_zone(direction=None):
            c = collections.Counter()
            for (z, d, _, _), n in exporter_view(m, ns).items():
                if direction is None or d == direction:
                    c[z] += n
            return c
        default_zones = per_zone("default")
        for zone in ("7", "12"):
            self.assertEqual(default_zones[zone], len(ns.ct_list("-w", zone)), "zone %s" % zone)
        self.assertEqual(default_zones["0"] + sum(n for z, n in per_zone("original").items()),
                         len(ns.ct_list("-w", "0")))

        label = ns.label
        self.assertEqual(m.value("nfct_zone_dump_entries", netns=label), ns.ct_count())
        self.assertEqual(m.value("nfct_zone_unlabeled_entries", netns=label), 0)
        self.assertGreater(m.value("nfct_zone_dump_duration_seconds", netns=label), 0)
        self.assertLess(m.value("nfct_zone_dump_duration_seconds", netns=label), 2)
        self.assertGreater(m.value("nfct_zone_dump_last_success_timestamp_seconds", netns=label), 0)
        self.assertLess(m.value("nfct_zone_dump_age_seconds", netns=label), 15)
        self.assertGreater(m.value("nfct_zone_dumps_total"), 0)
        self.assertEqual(m.value("nfct_zone_dump_errors_total", reason="timeout"), 0)
        self.assertEqual(m.value("nfct_zone_dump_errors_total", reason="error"), 0)
        self.assertEqual(m.types["nfct_zone_entries"], "gauge")
        self.assertEqual(m.types["nfct_zone_dumps_total"], "counter")
        self.assert_promtool_clean(m)

        # The counts follow the table: new entries show in a later dump.
        ns.python(UDP_SPRAY, "127.0.0.1", 6050, 2)
        want[("12", "default", "udp", "")] += 2
        self.assertEqual(conntrack_view(ns), want)
        self.wait_for_dump_of(ex, ns, want)

    def test_series_limit_counts_the_rest_unlabeled(self):
        ns = self.zoned_namespace()
        ex = self.exporter([ns], zone_entries=dict(DUMP, max_series=2))
        total = ns.ct_count()

        def limited():
            m = ex.scrape()
            series = m.select("nfct_zone_entries", netns=ns.label)
            unlabeled = m.value("nfct_zone_unlabeled_entries", netns=ns.label)
            ok = (len(series) == 2 and unlabeled is not None
                  and sum(v for _, v in series) + unlabeled == total)
            return ok, "series %s, unlabeled %s, want %d in all" % (series, unlabeled, total)

        wait_for(limited, what="two series and the rest unlabeled")

    def test_dump_is_bounded_by_its_timeout(self):
        """A dump that runs past zone_entries.timeout is stopped and counted; the counts
        of a stopped dump are never shown; table statistics go on regardless."""
        ns = self.lab.netns("big")
        ns.nft(FILL_RULES)
        ns.sysctl("net.netfilter.nf_conntrack_udp_timeout", 600)
        ns.python(UDP_FILL, 100000, timeout=120)
        entries = ns.ct_count()
        self.assertGreaterEqual(entries, 99000)
        ex = self.exporter([ns], zone_entries={"enabled": True, "interval": "100ms", "timeout": "100ms"})

        def attempts():
            m = ex.scrape()
            return (m.value("nfct_zone_dumps_total") or 0) >= 5, m
        m = wait_for(attempts, timeout=30, what="five dump attempts")
        label = ns.label
        # A dump ends at the deadline at the latest (plus one datagram of entries).
        self.assertLessEqual(m.value("nfct_zone_dump_duration_seconds", netns=label), 0.1 + 0.05)
        timeouts = m.value("nfct_zone_dump_errors_total", reason="timeout")
        if timeouts:
            # Shown counts are from complete dumps only.
            dumped = m.value("nfct_zone_dump_entries", netns=label)
            self.assertIn(dumped, (None, entries))
        else:
            self.assertEqual(m.value("nfct_zone_dump_entries", netns=label), entries)
        self.assertEqual(m.value("nfct_zone_dump_errors_total", reason="error"), 0, ex.log())
        self.assertEqual(m.value("nfct_table_entries", netns=label), entries)
        self.assertEqual(m.value("nfct_table_read_success", netns=label), 1)
        print("\n%d entries: %d of %d dumps stopped at the deadline"
              % (entries, timeouts, m.value("nfct_zone_dumps_total")))


if __name__ == "__main__":
    unittest.main()
