"""The exporter's life: namespaces that come and go, HTTP endpoints and the exposition
format, a probe that cannot attach, and a clean exit on SIGTERM and SIGINT."""

import signal
import time
import unittest

from nfct_harness import (DEFAULT_PROBES, IPV4_PROBES, NfctTestCase, bpftool_links, bpftool_progs,
                          conntrack_on, key, ping, run, udp_send, wait_for)

IN, POST = "nf:ipv4:input", "nf:ipv4:postrouting"


def ping_expectations(src, dst, n, probes=(IN, POST)):
    """Exact nfct_packets_total of n pings src -> dst at the IPv4 probes."""
    return {
        key("nfct_packets_total", probe=POST, netns=src.label, state="new"): 1,
        key("nfct_packets_total", probe=POST, netns=src.label, state="established"): n - 1,
        key("nfct_packets_total", probe=IN, netns=src.label, state="reply"): n,
        key("nfct_packets_total", probe=IN, netns=dst.label, state="new"): 1,
        key("nfct_packets_total", probe=IN, netns=dst.label, state="established"): n - 1,
        key("nfct_packets_total", probe=POST, netns=dst.label, state="reply"): n,
    }


class NamespaceLifecycleTest(NfctTestCase):

    def test_list_mode_new_and_deleted_namespaces(self):
        """netns list [A, C, D] with only A present at start: C and D are hooked within the
        1 s rescan interval once created and counted exactly; deleting D is no error (healthy,
        no scrape error, no attach error), purges its series and counts one purge; deleting
        every listed namespace leaves no probe attached: /healthz 503."""
        a = self.lab.netns("a")
        conntrack_on(a)
        c = self.lab.netns("c", create=False)
        d = self.lab.netns("d", create=False)
        ex = self.exporter(netns=[a, c, d], extra={"netns_rescan_interval": "1s"}, ready=False)
        m = ex.wait_ready(netns=[a])
        self.assertEqual(m.get("nfct_netns_attached"), 1)

        self.lab.create(c)
        self.lab.create(d)
        created = time.monotonic()
        _, addr_d = self.lab.veth(c, d)
        for ns in (c, d):
            conntrack_on(ns)
        ex.wait_ready(netns=[c, d])
        elapsed = time.monotonic() - created
        self.assertLess(elapsed, 3.0, "namespaces hooked %.1f s after creation (rescan interval 1 s)" % elapsed)

        ping(c, addr_d, 5)
        m = ex.wait_counts(ping_expectations(c, d, 5))
        self.assertEqual(m.get("nfct_netns_attached"), 3)
        errors = m.by("nfct_probe_attach_errors_total", "probe")
        purged = m.get("nfct_netns_purged_total")
        self.assertEqual(purged, 0)
        c_series = m.select("nfct_packets_total", netns=c.label)
        d_label = d.label

        run(["ip", "netns", "del", d.name])

        def d_forgotten():
            m = ex.scrape()
            left = [l for l, _ in m.select("nfct_packets_total", netns=d_label)] + \
                   [l for l, _ in m.select("nfct_probe_attached", netns=d_label)]
            return (m.get("nfct_netns_purged_total") == 1 and not left), (m if not left else left)

        m = wait_for(d_forgotten, timeout=5, what="D's series and links to go")
        self.assertEqual(m.get("nfct_netns_purged_total"), 1)
        self.assertEqual(m.get("nfct_netns_attached"), 2)
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)
        self.assertEqual(m.by("nfct_probe_attach_errors_total", "probe"), errors)
        self.assertEqual(m.select("nfct_status_packets_total", netns=d_label), [])
        self.assertEqual(m.select("nfct_zone_packets_total", netns=d_label), [])
        # C keeps its series, unchanged.
        self.assertEqual(m.select("nfct_packets_total", netns=c.label), c_series)
        self.assertEqual(ex.request("/healthz")[0], 200)
        self.assertIsNone(ex.proc.poll())

        for ns in (a, c):
            run(["ip", "netns", "del", ns.name])
        wait_for(lambda: ex.scrape().get("nfct_netns_purged_total") == 3, timeout=5,
                 what="A and C to be purged")
        m = ex.scrape()
        self.assertEqual(m.get("nfct_netns_attached"), 0)
        # The drop probe (on by default) is a tracepoint: it stays, and is not a probe of
        # the `probes` list, which /healthz is about.
        self.assertEqual([x for x in m.select("nfct_probe_attached") if x[0]["probe"] != "drop:skb:kfree_skb"], [])
        self.assertEqual(m.select("nfct_packets_total"), [])
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)
        self.assertEqual(ex.request("/healthz")[0], 503)
        self.assertIsNone(ex.proc.poll(), "the exporter keeps running without namespaces")

    def test_netns_all_follows_new_and_deleted_namespaces(self):
        """netns: all hooks a namespace created after start within the rescan interval and
        counts it; deleting it removes its series and counts a purge, with no error."""
        ex = self.exporter(netns="all", extra={"netns_rescan_interval": "1s"})
        e = self.lab.netns("e")
        f = self.lab.netns("f")
        created = time.monotonic()
        _, addr_f = self.lab.veth(e, f)
        for ns in (e, f):
            conntrack_on(ns)
        ex.wait_ready(netns=[e, f])
        self.assertLess(time.monotonic() - created, 3.0)

        ping(e, addr_f, 4)
        m = ex.wait_counts(ping_expectations(e, f, 4))
        purged = m.get("nfct_netns_purged_total")
        labels = (e.label, f.label)
        for ns in (e, f):
            run(["ip", "netns", "del", ns.name])

        def forgotten():
            m = ex.scrape()
            left = [l for lab in labels for l, _ in
                    m.select("nfct_packets_total", netns=lab) + m.select("nfct_probe_attached", netns=lab)]
            return (not left and m.get("nfct_netns_purged_total") >= purged + 2), (m if not left else left)

        m = wait_for(forgotten, timeout=5, what="the deleted namespaces to be forgotten")
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)
        self.assertEqual(ex.request("/healthz")[0], 200)
        self.assertIsNone(ex.proc.poll())


class HttpTest(NfctTestCase):

    def test_endpoints_and_promtool(self):
        """/metrics (with every counter family populated) passes `promtool check metrics`
        without a complaint; /healthz and / answer 200, an unknown path 404, POST 405."""
        a = self.lab.netns("a")
        b = self.lab.netns("b")
        _, addr_b = self.lab.veth(a, b)
        for ns in (a, b):
            conntrack_on(ns)
        # The `--name value` form of a flag, and a tracepoint so that netns="all" appears.
        ex = self.exporter(netns=[a, b], probes=DEFAULT_PROBES + ["tp:net:net_dev_start_xmit"],
                           listen_flag_form=" ")
        ping(a, addr_b, 3)
        udp_send(a, addr_b, 9, 2)
        expected = ping_expectations(a, b, 3)
        expected[key("nfct_packets_total", probe=POST, netns=a.label, state="new")] = 1 + 2
        expected[key("nfct_packets_total", probe=IN, netns=b.label, state="new")] = 1 + 2
        expected[key("nfct_packets_total", probe=IN, netns=a.label, state="related_reply")] = 2
        ex.wait_counts(expected)

        status, headers, body = ex.request("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"), headers)
        for family in ("nfct_packets_total", "nfct_bytes_total", "nfct_status_packets_total",
                       "nfct_zone_packets_total", "nfct_no_conntrack_packets_total", "nfct_probe_up",
                       "nfct_probe_attached", "nfct_probe_attach_errors_total", "nfct_netns_attached",
                       "nfct_netns_rescans_total", "nfct_netns_purged_total", "nfct_map_entries",
                       "nfct_map_overflow_packets_total", "nfct_exporter_scrape_errors_total",
                       "nfct_exporter_build_info"):
            self.assertIn("\n# TYPE %s " % family, "\n" + body, family)
        for counter in ("nfct_packets_total", "nfct_bytes_total", "nfct_status_packets_total",
                        "nfct_zone_packets_total"):
            self.assertIn("\n# TYPE %s counter\n" % counter, "\n" + body)
        p = run(["promtool", "check", "metrics"], input=body, check=False)
        self.assertEqual((p.returncode, p.stdout.strip(), p.stderr.strip()), (0, "", ""), body)

        status, _, text = ex.request("/healthz")
        self.assertEqual(status, 200, text)
        status, _, text = ex.request("/")
        self.assertEqual(status, 200)
        self.assertIn('href="/metrics"', text)
        status, headers, _ = ex.request("/metrics", method="POST", body="x")
        self.assertEqual(status, 405)
        self.assertIn("GET", headers.get("allow", ""))
        self.assertEqual(ex.request("/healthz", method="POST", body="")[0], 405)
        # Unknown paths, also those that merely begin with a known one.
        for path in ("/no/such/path", "/index.html", "/metricsx", "/metrics/extra", "/healthzz",
                     "/healthz/extra"):
            with self.subTest(path=path):
                self.assertEqual(ex.request(path)[0], 404)

    def test_telemetry_path_flag(self):
        """--web.telemetry-path moves the metrics; the default path is then 404."""
        a = self.lab.netns("a")
        ex = self.exporter(netns=[a], args=["--web.telemetry-path=/custom/metrics"], ready=False)
        wait_for(lambda: ex.proc.poll() is None and self._status(ex, "/healthz") == 200, timeout=15,
                 what="healthz")
        self.assertEqual(ex.request("/custom/metrics")[0], 200)
        self.assertIn("nfct_probe_up", ex.request("/custom/metrics")[2])
        self.assertEqual(ex.request("/metrics")[0], 404)
        self.assertIn('href="/custom/metrics"', ex.request("/")[2])

    @staticmethod
    def _status(ex, path):
        try:
            return ex.request(path, timeout=2)[0]
        except OSError:
            return None


class ProbeFailureTest(NfctTestCase):

    def test_unattachable_probe_is_reported_and_others_count(self):
        """tp:net:does_not_exist next to the default probes and a real tracepoint: it is
        reported (probe_up 0, attach errors >= 1, logged) and every other probe counts."""
        a, b = self.lab.netns("a"), self.lab.netns("b")
        _, addr_b = self.lab.veth(a, b)
        for ns in (a, b):
            conntrack_on(ns)
        bad, xmit = "tp:net:does_not_exist", "tp:net:net_dev_start_xmit"
        ex = self.exporter(netns=[a, b], probes=DEFAULT_PROBES + [bad, xmit], wait_probes=DEFAULT_PROBES)
        m = ex.scrape()
        self.assertEqual(m.value("nfct_probe_up", probe=bad), 0)
        self.assertGreaterEqual(m.get("nfct_probe_attach_errors_total", probe=bad), 1)
        self.assertEqual(m.select("nfct_probe_attached", probe=bad), [])
        self.assertIn(bad, ex.log())
        for p in DEFAULT_PROBES + [xmit]:
            self.assertEqual(m.value("nfct_probe_up", probe=p), 1, p)
            self.assertEqual(m.get("nfct_probe_attach_errors_total", probe=p), 0, p)
        self.assertEqual(m.value("nfct_probe_attached", probe=xmit, netns="all"), 1)
        self.assertEqual(ex.request("/healthz")[0], 200)

        ping(a, addr_b, 10)
        expected = ping_expectations(a, b, 10)
        # The tracepoint sees the packets leave each veth: A's requests, B's replies.
        expected[key("nfct_packets_total", probe=xmit, netns=a.label, state="new")] = 1
        expected[key("nfct_packets_total", probe=xmit, netns=a.label, state="established")] = 9
        expected[key("nfct_packets_total", probe=xmit, netns=b.label, state="reply")] = 10
        m = ex.wait_counts(expected)
        # At the device the packet has its 14-byte Ethernet header: 84 + 14.
        self.assertEqual(m.by("nfct_bytes_total", "state", probe=xmit, netns=a.label),
                         {"new": 98, "established": 9 * 98})
        self.assertEqual(m.by("nfct_packets_total", "state", probe=xmit, netns=b.label), {"reply": 10})
        self.assertEqual(m.value("nfct_probe_up", probe=bad), 0)
        self.assertEqual(m.get("nfct_exporter_scrape_errors_total"), 0)


class ShutdownTest(NfctTestCase):

    def check_shutdown(self, sig):
        a = self.lab.netns("a")
        conntrack_on(a)
        ex = self.exporter(netns=[a], probes=IPV4_PROBES + ["tp:net:net_dev_start_xmit"])
        progs, links = ex.bpf_objects()
        loaded = bpftool_progs()
        names = {loaded.get(p) for p in progs}
        self.assertTrue({"nfct_nf", "nfct_tp", "nfct_drop"} <= names, "programs held by the exporter: %s" % names)
        all_links = bpftool_links()
        self.assertEqual(len(links), 4, "2 netfilter links + 1 tracepoint link + the drop probe's, got %s" % links)
        self.assertTrue(links <= set(all_links), "bpftool lists the exporter's links")
        self.assertTrue({all_links[l] for l in links} <= progs)

        t0 = time.monotonic()
        rc = ex.stop(sig, timeout=10)
        self.assertEqual(rc, 0, ex.log())
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("received %s" % ("SIGTERM" if sig == signal.SIGTERM else "SIGINT"), ex.log())

        def gone():
            progs_now = set(bpftool_progs())
            links_now = bpftool_links()
            left = (progs & progs_now, links & set(links_now),
                    {l for l, p in links_now.items() if p in progs})
            return (not any(left)), left

        wait_for(gone, timeout=5, what="the exporter's programs and links to go")
        # Nothing of it is left at the hooks either: a new exporter takes the very same
        # netfilter priority in the namespace, which the kernel refuses while a link is there.
        again = self.exporter(netns=[a], probes=IPV4_PROBES)
        m = again.scrape()
        self.assertEqual(m.sum("nfct_probe_attach_errors_total"), 0, again.log())

    def test_sigterm_exits_0_and_detaches_everything(self):
        self.check_shutdown(signal.SIGTERM)

    def test_sigint_exits_0_and_detaches_everything(self):
        self.check_shutdown(signal.SIGINT)


if __name__ == "__main__":
    unittest.main()
