"""Conntrack table size, limit and kernel statistics per namespace (nfct_table_*,
nfct_expect_*), checked exactly against conntrack -C, conntrack -S (summed over CPUs, or
per CPU) and conntrack -S expect / -L expect, read inside the namespaces the test makes.

Topology: namespaces A and B joined by a veth pair; loopback traffic inside each.
"""

import unittest

from table_harness import (CT_MAX, FTP_CLIENT, FTP_HELPER_RULES, FTP_SERVER, RAW_SYN_FIN, TCP_HOLD,
                           UDP_SPRAY, TableTestCase, run, sum_stats, wait_for)

# conntrack -S names -> metric names.
def ct_metric(name):
    return "nfct_table_%s_total" % name


def exp_metric(name):  # conntrack -S expect prints expect_new, expect_create, expect_delete
    return "nfct_expect_%s_total" % name[len("expect_"):]


class Oracle:
    """The conntrack tool's view of one namespace."""

    def __init__(self, ns, per_cpu=False):
        self.ns = ns
        self.per_cpu = per_cpu

    def read(self):
        ct, exp = self.ns.ct_stats(), self.ns.ct_stats(expect=True)
        return {
            "entries": self.ns.ct_count(),
            "expectations": len(self.ns.ct_list("expect")),
            "stats": ct if self.per_cpu else sum_stats(ct),
            "expect": exp if self.per_cpu else sum_stats(exp),
        }


def exporter_view(m, ns, oracle):
    """The same numbers from the exporter's metrics, shaped like the oracle's."""
    label = ns.label

    def stats(values, metric):
        if isinstance(next(iter(values.values())), dict):  # per CPU
            return {cpu: {k: m.value(metric(k), netns=label, cpu=cpu) for k in v} for cpu, v in values.items()}
        return {k: m.value(metric(k), netns=label) for k in values}

    return {
        "entries": m.value("nfct_table_entries", netns=label),
        "expectations": m.value("nfct_expect_entries", netns=label),
        "stats": stats(oracle["stats"], ct_metric),
        "expect": stats(oracle["expect"], exp_metric),
    }


class TableStatsTest(TableTestCase):

    def assert_matches_conntrack(self, ex, namespaces, per_cpu=False):
        """For each namespace: the oracle read before and after one scrape agrees with
        itself (nothing moved meanwhile) and with the scrape, exactly. Returns
        {ns: (metrics, oracle)}."""
        result = {}
        for ns in namespaces:
            oracle = Oracle(ns, per_cpu)

            def same_moment():
                before = oracle.read()
                m = ex.scrape()
                after = oracle.read()
                if before != after:
                    return False, "conntrack's view moved during the scrape"
                return True, (m, before)

            m, want = wait_for(same_moment, timeout=10, what="a quiet table in %s" % ns.name)
            self.assertEqual(exporter_view(m, ns, want), want, ns.name)
            result[ns.name] = (m, want)
        return result

    def test_entries_and_statistics_equal_conntrack(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        addr_a, addr_b = self.lab.veth(a, b)
        a.nft(FTP_HELPER_RULES)
        ex = self.exporter([a, b])

        # Traffic that moves several counters: new entries over the veth and on
        # loopback, TCP segments conntrack calls invalid, an entry inserted by ctnetlink
        # (`insert` counts only those on current kernels) and an FTP expectation.
        a.run(["ping", "-c", "3", "-i", "0.01", "-W", "1", addr_b])
        a.python(UDP_SPRAY, addr_b, 9000, 5)
        self.lab.background(b, TCP_HOLD, "127.0.0.1", 5555, 4)
        a.python(RAW_SYN_FIN, addr_b, 5555)
        b.run(["conntrack", "-I", "-p", "udp", "-s", "192.0.2.1", "-d", "192.0.2.2", "--sport", "1000",
               "--dport", "53", "-t", "300"])
        self.lab.background(b, FTP_SERVER, addr_b)
        self.lab.background(a, FTP_CLIENT, addr_b, addr_a)

        seen = self.assert_matches_conntrack(ex, [a, b])
        (ma, oa), (mb, ob) = seen[a.name], seen[b.name]
        # The comparisons above are not between zeros.
        self.assertGreaterEqual(oa["entries"], 1 + 5 + 1)     # ping, UDP, FTP control
        self.assertGreaterEqual(ob["entries"], 1 + 5 + 4 + 1)  # ..., loopback TCP, inserted
        self.assertGreater(oa["stats"]["invalid"], 0)
        self.assertGreater(ob["stats"]["invalid"], 0)
        self.assertEqual(ob["stats"]["insert"], 1)
        self.assertEqual(oa["stats"]["insert"], 0)  # packets confirm entries without `insert`
        self.assertEqual(oa["expectations"], 1)
        self.assertEqual(oa["expect"]["expect_create"], 1)
        # Every counter conntrack -S prints is exported, and nothing else is.
        for m, o, ns in ((ma, oa, a), (mb, ob, b)):
            self.assertEqual({n for n in m.names("nfct_table_") if n.endswith("_total")
                              and n != "nfct_table_read_errors_total"},
                             {ct_metric(k) for k in o["stats"]})
            with open(CT_MAX) as f:
                self.assertEqual(m.value("nfct_table_max_entries", netns=ns.label), int(f.read()))
            self.assertEqual(m.value("nfct_table_read_success", netns=ns.label), 1)
        self.assertEqual(ma.value("nfct_table_read_errors_total"), 0)
        # The per-zone option is off by default: no dump, no zone entry series.
        self.assertEqual(ma.names("nfct_zone_entries") | ma.names("nfct_zone_dump"), set())
        for metric in ("nfct_table_entries", "nfct_table_drop_total", "nfct_expect_entries"):
            self.assertEqual(ma.types[metric], "counter" if metric.endswith("_total") else "gauge")
        self.assert_promtool_clean(ma)

    def test_per_cpu_statistics_equal_each_conntrack_line(self):
        ns = self.lab.netns("cpu")
        ex = self.exporter([ns], table_stats={"per_cpu": True})
        ns.python(UDP_SPRAY, "127.0.0.1", 9000, 20)
        ns.python(RAW_SYN_FIN, "127.0.0.1", 9001)
        (m, o), = self.assert_matches_conntrack(ex, [ns], per_cpu=True).values()
        self.assertGreaterEqual(len(o["stats"]), 1)
        self.assertGreater(sum(v["invalid"] for v in o["stats"].values()), 0)
        self.assertTrue(all("cpu" in l for l, _ in m.select("nfct_table_drop_total")))  # no sums
        self.assert_promtool_clean(m)

    def test_full_table_drops_equal_conntrack(self):
        """nf_conntrack_max is one value for the host, compared with each namespace's own
        count: lowered to what the test namespace holds, every new connection there is
        dropped. It is restored right after the reading, and by a cleanup on failure."""
        ns = self.lab.netns("full")
        ex = self.exporter([ns])
        # The limit also applies to the test's own namespace, where the scrapes travel:
        # the test namespace must hold more entries than that one, so that lowering the
        # limit to its count leaves the initial namespace room.
        held = max(100, self.initial_namespace_entries() + 100)
        if held > 10000:
            self.skipTest("the initial namespace holds %d entries: too many to lower the limit" % held)
        # Entries that cannot be evicted early: established, assured TCP connections.
        self.lab.background(ns, TCP_HOLD, "127.0.0.1", 5555, held)
        entries = ns.ct_count()
        self.assertEqual(entries, held)
        before = sum_stats(ns.ct_stats())

        with open(CT_MAX) as f:
            original = f.read().strip()
        self.addCleanup(self.write_ct_max, original)
        self.write_ct_max(entries)
        try:
            sent, failed = map(int, ns.python(UDP_SPRAY, "127.0.0.1", 7000, 200).stdout.split())
            # While the table is full: the exporter shows it full, and the drops.
            seen = self.assert_matches_conntrack(ex, [ns])
        finally:
            self.write_ct_max(original)
        m, o = seen[ns.name]
        self.assertEqual((sent, failed), (0, 200))
        self.assertEqual(m.value("nfct_table_entries", netns=ns.label), entries)
        self.assertEqual(m.value("nfct_table_max_entries", netns=ns.label), entries)
        dropped = o["stats"]["drop"] - before["drop"] + o["stats"]["early_drop"] - before["early_drop"]
        self.assertEqual(dropped, 200)
        self.assertEqual(m.value("nfct_table_drop_total", netns=ns.label), o["stats"]["drop"])
        self.assertEqual(m.value("nfct_table_early_drop_total", netns=ns.label), o["stats"]["early_drop"])
        self.assertEqual(m.value("nfct_table_insert_failed_total", netns=ns.label), o["stats"]["insert_failed"])
        # With the limit back, the same namespace makes entries again.
        ns.python(UDP_SPRAY, "127.0.0.1", 7000, 3)
        self.assertEqual(ns.ct_count(), entries + 3)

    @staticmethod
    def initial_namespace_entries():
        p = run(["conntrack", "-C"], check=False)
        return int(p.stdout) if p.returncode == 0 and p.stdout.strip().isdigit() else 0

    @staticmethod
    def write_ct_max(value):
        with open(CT_MAX, "w") as f:
            f.write("%s\n" % value)

    def test_reading_does_not_change_the_table(self):
        """Scrapes and table dumps read: the statistics, the entries and their packet
        counters (which GET_CTRZERO would reset) stay as they were."""
        ns = self.lab.netns("ro")
        ns.sysctl("net.netfilter.nf_conntrack_acct", 1)
        self.lab.background(ns, TCP_HOLD, "127.0.0.1", 5555, 3)
        ns.python(UDP_SPRAY, "127.0.0.1", 7000, 5)
        table = sorted(self.entries_without_timeouts(ns))
        stats = ns.ct_stats()
        ex = self.exporter([ns], zone_entries={"enabled": True, "interval": "200ms", "timeout": "200ms"})
        for _ in range(5):
            ex.scrape()
        wait_for(lambda: (ex.scrape().value("nfct_zone_dumps_total") or 0) >= 3, what="three dumps")
        self.assertEqual(sorted(self.entries_without_timeouts(ns)), table)
        self.assertEqual(ns.ct_stats(), stats)
        self.assertTrue(any("packets=" in e for e in table), table)

    @staticmethod
    def entries_without_timeouts(ns):
        # "ipv4 2 tcp 6 431999 ESTABLISHED src=...": the fifth field is the time left.
        return [" ".join(l.split()[:4] + l.split()[5:]) for l in ns.ct_list("-o", "extended")]

    def test_sockets_are_closed_when_a_namespace_vanishes(self):
        """A netlink socket keeps its namespace alive: it goes with the namespace."""
        a, b = self.lab.netns("a"), self.lab.netns("b")
        ex = self.exporter([a, b], zone_entries={"enabled": True, "interval": "200ms", "timeout": "200ms"})
        b_label = b.label
        wait_for(lambda: ex.scrape().value("nfct_zone_dump_entries", netns=b_label) is not None,
                 what="a dump of B")
        with_b = ex.socket_fds()
        self.lab.delete(b)

        def closed():
            m = ex.scrape()
            gone = (m.value("nfct_table_read_success", netns=b_label) is None
                    and m.value("nfct_zone_dump_entries", netns=b_label) is None)
            fds = ex.socket_fds()
            return gone and fds == with_b - 2, "series gone: %s, sockets %d (had %d)" % (gone, fds, with_b)

        wait_for(closed, what="B's two ctnetlink sockets to be closed")
        self.assertEqual(ex.scrape().value("nfct_table_read_success", netns=a.label), 1)

    def test_namespaces_without_netfilter_probes_are_read(self):
        """Coverage follows the netns selection, not where hooks attached: with only a
        tracepoint probe there is no link in any namespace, and still both are read."""
        a, b = self.lab.netns("a"), self.lab.netns("b")
        ex = self.exporter([a, b], probes=["tp:net:net_dev_start_xmit"])
        a.python(UDP_SPRAY, "127.0.0.1", 9000, 3)
        self.assert_matches_conntrack(ex, [a, b])
        self.assertEqual(ex.scrape().value("nfct_table_entries", netns=a.label), 3)
        with_b, b_label = ex.socket_fds(), b.label
        self.lab.delete(b)

        def closed():
            gone = ex.scrape().value("nfct_table_read_success", netns=b_label) is None
            fds = ex.socket_fds()
            return gone and fds == with_b - 1, "series gone: %s, sockets %d (had %d)" % (gone, fds, with_b)

        wait_for(closed, what="B's ctnetlink socket to be closed")


if __name__ == "__main__":
    unittest.main()
