"""/metrics over kept-alive connections and with gzip (issue 13), /events?follow=1 still
closing its connection, and the scrape-duration self metric.

The oracle of every answer is the count of the pings the test sent (the same exact
expectations as test_lifecycle): traffic stops before the scrapes start, so every scrape
must show exactly those values, however many run at once and on whichever connection."""

import gzip
import http.client
import socket
import threading
import time
import unittest

from events_harness import FollowStream
from nfct_harness import (IPV4_PROBES, Metrics, NfctTestCase, conntrack_on, key, ping, read_to_eof,
                          wait_for)

IN, POST = "nf:ipv4:input", "nf:ipv4:postrouting"
PINGS = 7
# Series whose values change from one scrape to the next (times), left out of comparisons.
VOLATILE = {"nfct_exporter_collect_duration_seconds", "nfct_exporter_scrape_duration_seconds",
            "nfct_table_read_duration_seconds"}


def ping_expectations(src, dst, n):
    return {
        key("nfct_packets_total", probe=POST, netns=src.label, state="new"): 1,
        key("nfct_packets_total", probe=POST, netns=src.label, state="established"): n - 1,
        key("nfct_packets_total", probe=IN, netns=src.label, state="reply"): n,
        key("nfct_packets_total", probe=IN, netns=dst.label, state="new"): 1,
        key("nfct_packets_total", probe=IN, netns=dst.label, state="established"): n - 1,
        key("nfct_packets_total", probe=POST, netns=dst.label, state="reply"): n,
    }


def stable_samples(m):
    return sorted((n, sorted(l.items()), v) for n, l, v in m.samples if n not in VOLATILE)


class KeptAliveClient:
    """One HTTP/1.1 connection for many requests; fails when the server closed it between
    requests (http.client would silently open a new one)."""

    def __init__(self, port, timeout=20):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.sock = None

    def get(self, path, headers=None):
        self.conn.request("GET", path, headers=headers or {})
        r = self.conn.getresponse()
        body = r.read()
        if self.sock is None:
            self.sock = self.conn.sock
        elif self.conn.sock is not self.sock:
            raise AssertionError("the connection was not kept alive")
        if r.will_close:
            raise AssertionError("the server announced it would close the connection")
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body

    def close(self):
        self.conn.close()


class ScrapeTest(NfctTestCase):

    def counted_pair(self, events=False):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        _, addr_b = self.lab.veth(a, b)
        for ns in (a, b):
            conntrack_on(ns)
        extra = {"events": {"sample_rate": 1}} if events else None
        ex = self.exporter(netns=[a, b], probes=IPV4_PROBES, extra=extra)
        ping(a, addr_b, PINGS)
        expected = ping_expectations(a, b, PINGS)
        ex.wait_counts(expected)
        return a, b, addr_b, ex, expected

    def check_page(self, status, headers, body, expected, gzipped):
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertIn("accept-encoding", headers.get("vary", "").lower())
        if gzipped:
            self.assertEqual(headers.get("content-encoding"), "gzip")
            body = gzip.decompress(body)
        else:
            self.assertNotIn("content-encoding", headers)
        m = Metrics(body.decode())
        got = {key(n, **l): v for n, l, v in m.samples if n == "nfct_packets_total"}
        self.assertEqual(got, expected)
        return m

    def test_concurrent_scrapes_on_kept_alive_connections(self):
        """8 clients, each on one kept-alive connection, scrape 15 times at once, half of
        them asking for gzip: every answer is complete (Content-Length), compressed exactly
        when asked, and holds exactly the pinged counts; /healthz on the same connection
        too. The whole-scrape duration is served and covers the map read."""
        a, b, _, ex, expected = self.counted_pair()
        errors, done = [], []

        def client(i):
            c = KeptAliveClient(ex.port)
            try:
                gz = i % 2 == 0
                hdrs = {"Accept-Encoding": "gzip"} if gz else {}
                for _ in range(15):
                    self.check_page(*c.get("/metrics", hdrs), expected, gz)
                status, _, body = c.get("/healthz")
                self.assertEqual((status, body), (200, b"ok\n"))
                done.append(i)
            except Exception as e:  # reported by the main thread
                errors.append("client %d: %r" % (i, e))
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(done), list(range(8)))

        m = ex.scrape()
        scrape = m.value("nfct_exporter_scrape_duration_seconds")
        collect = m.value("nfct_exporter_collect_duration_seconds")
        self.assertEqual(m.types.get("nfct_exporter_scrape_duration_seconds"), "gauge")
        self.assertGreater(scrape, 0)
        self.assertGreaterEqual(scrape, collect)
        self.assertLess(scrape, 5)

    def test_gzip_answer_has_the_plain_answers_samples(self):
        """The same page compressed and not: the same samples (durations aside), the gzip
        one smaller. A client that refuses gzip (q=0) or names only other codings gets
        plain text; HEAD gets the headers of GET."""
        a, b, _, ex, expected = self.counted_pair()
        c = KeptAliveClient(ex.port)
        self.addCleanup(c.close)
        plain = c.get("/metrics")
        zipped = c.get("/metrics", {"Accept-Encoding": "gzip, deflate"})
        mp = self.check_page(*plain, expected, False)
        mz = self.check_page(*zipped, expected, True)
        self.assertEqual(stable_samples(mz), stable_samples(mp))
        self.assertEqual(mz.types, mp.types)
        self.assertLess(len(zipped[2]), len(plain[2]))
        for refused in ("gzip;q=0", "br, deflate", "identity"):
            self.check_page(*c.get("/metrics", {"Accept-Encoding": refused}), expected, False)
        c.conn.request("HEAD", "/metrics", headers={"Accept-Encoding": "gzip"})
        r = c.conn.getresponse()
        self.assertEqual(r.read(), b"")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        self.assertGreater(int(r.getheader("Content-Length")), 0)
        # The connection survived the HEAD answer.
        self.check_page(*c.get("/metrics"), expected, False)

    def test_scrapes_while_follow_streams_are_open(self):
        """24 follow=1 streams (the cap) hold their connections: 4 kept-alive clients still
        scrape correctly at the same time. A follow=1 stream that ends (limit reached) closes
        its connection, also when the request asked for keep-alive, and a finished scrape's
        connection is closed by the server after the keep-alive timeout."""
        a, b, addr_b, ex, expected = self.counted_pair(events=True)
        streams = [FollowStream(self, ex.port, "follow=1&netns=1") for _ in range(24)]
        self.assertEqual([f.status for f in streams], [200] * 24)
        for f in streams:
            self.assertEqual(f.headers.get("connection", "").lower(), "close")
        errors = []

        def client(i):
            c = KeptAliveClient(ex.port)
            try:
                for _ in range(10):
                    self.check_page(*c.get("/metrics", {"Accept-Encoding": "gzip"} if i % 2 else {}),
                                    expected, bool(i % 2))
            except Exception as e:
                errors.append("client %d: %r" % (i, e))
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(ex.scrape().get("nfct_events_followers"), 24)
        for f in streams:
            f.close()
        wait_for(lambda: (ex.scrape().get("nfct_events_followers") == 0, "followers"), timeout=15,
                 interval=0.2, what="closed follow clients to be released")

        # A stream that ends closes its connection: HTTP/1.1 without a Connection header
        # (keep-alive by default) and with "Connection: keep-alive".
        for header in ("", "Connection: keep-alive\r\n"):
            s = socket.create_connection(("127.0.0.1", ex.port), timeout=10)
            self.addCleanup(s.close)
            s.sendall(("GET /events?follow=1&limit=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % header).encode())
            wait_for(lambda: (ex.scrape().get("nfct_events_followers") == 1, "subscribed"), timeout=10,
                     what="the stream to subscribe")
            ping(a, addr_b, 1)  # 4 sampled packets, the stream ends after 2
            data = b""
            deadline = time.monotonic() + 10
            while True:
                self.assertLess(time.monotonic(), deadline, "no EOF after the limit: %r" % data[-300:])
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(b"200 OK", head.split(b"\r\n")[0])
            self.assertEqual(len([l for l in body.split(b"\n") if l.strip()]), 2)
            s.close()

        # An idle kept-alive connection is closed by the server within its timeout (3 s):
        # it cannot hold an HTTP worker thread for long.
        s = socket.create_connection(("127.0.0.1", ex.port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        t0 = time.monotonic()
        data = read_to_eof(s)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:100])
        self.assertTrue(data.endswith(b"ok\n"), data[-100:])
        self.assertLess(time.monotonic() - t0, 8)

    def test_sigterm_with_an_idle_kept_alive_connection(self):
        """A client that keeps its connection open after a scrape does not hold up the
        shutdown: SIGTERM still ends the exporter with status 0 well within the keep-alive
        timeout plus the usual teardown."""
        a, b, _, ex, expected = self.counted_pair()
        c = KeptAliveClient(ex.port)
        self.addCleanup(c.close)
        self.check_page(*c.get("/metrics", {"Accept-Encoding": "gzip"}), expected, True)
        t0 = time.monotonic()
        self.assertEqual(ex.stop(), 0)
        self.assertLess(time.monotonic() - t0, 8)


if __name__ == "__main__":
    unittest.main()
