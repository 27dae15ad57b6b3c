"""Load (issue 9): while a ping flood runs between two test namespaces, wrk hammers
/metrics and /events with many connections together with two dozen follow=1 clients
(some reading, some reading slowly, some vanishing and coming back), for a bounded time.

Passes when: no scrape fails (wrk reports no socket error and no non-2xx answer on
/metrics and /events; a checker scraping from 127.0.0.2 every 200 ms gets 200 each time),
no counter ever goes backwards between two of the checker's scrapes, the exporter is alive
and its resident memory stays under a bound, and afterwards its packet counts still equal
nft's counters for the same packets exactly. Prints requests served, p99 latency and the
peak RSS."""

import re
import shutil
import socket
import subprocess
import threading
import time
import unittest

from nfct_harness import (IPV4_PROBES, Metrics, NfctTestCase, OracleSpec, assert_matches_oracle, http_get_from,
                          conntrack_on)

DURATION = 12          # seconds of load
RSS_LIMIT_MB = 256     # the bound on the exporter's resident memory under this load
CHECKER = "127.0.0.2"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def get(port, path, source=CHECKER, timeout=5):
    return http_get_from(port, path, source, timeout)


def parse_wrk(out):
    """requests, p99 (seconds), socket errors, non-2xx answers, from wrk --latency output."""
    def seconds(v, unit):
        return float(v) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
    req = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    p99 = seconds(*m.groups()) if m else None
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in errs.groups()) if errs else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return req, p99, socket_errors, int(non2xx.group(1)) if non2xx else 0


class FollowClient(threading.Thread):
    """A follow=1 client: `normal` reads everything, `slow` reads 64 bytes every 0.5 s,
    `vanish` reads for about a second, closes without a word, and comes back."""

    def __init__(self, port, mode, stop):
        super().__init__(daemon=True)
        self.port, self.mode, self.stop = port, mode, stop
        self.streams, self.busy, self.errors, self.bytes = 0, 0, [], 0

    def _one(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        try:
            if self.mode == "slow":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            first = s.recv(64)
            if first.startswith(b"HTTP/1.1 503"):
                self.busy += 1  # the stream cap (24) answered: not a failure
                return
            if not first.startswith(b"HTTP/1.1 200"):
                self.errors.append(first[:64])
                return
            self.streams += 1
            end = time.monotonic() + (1.0 if self.mode == "vanish" else DURATION + 5)
            while not self.stop.is_set() and time.monotonic() < end:
                if self.mode == "slow":
                    self.stop.wait(0.5)
                chunk = s.recv(64 if self.mode == "slow" else 65536)
                if not chunk:
                    break
                self.bytes += len(chunk)
        finally:
            s.close()

    def run(self):
        while not self.stop.is_set():
            try:
                self._one()
            except OSError as e:
                if not self.stop.is_set():
                    self.errors.append(repr(e))
            if self.mode != "vanish":
                return
            self.stop.wait(0.2)


@unittest.skipIf(shutil.which("wrk") is None, "wrk is not installed (scripts/install-deps.sh --test)")
class HttpLoadTest(NfctTestCase):

    def test_scrapes_and_streams_under_flood(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        addr_a, addr_b = self.lab.veth(a, b)
        oracle = OracleSpec()
        for ns in (a, b):
            conntrack_on(ns)
            oracle.install(ns)
        # Room for wrk's connections from one address (it reconnects for every answer).
        ex = self.exporter(netns=[a, b], probes=IPV4_PROBES,
                           extra={"events": {"sample_rate": 7},
                                  "web": {"max_connections": 256, "max_connections_per_client": 192}})
        pid = ex.proc.pid
        stop = threading.Event()
        self.addCleanup(stop.set)

        flood = subprocess.Popen(a.cmd(["ping", "-4", "-n", "-q", "-f", "-w", str(DURATION), addr_b]),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: flood.poll() is None and flood.kill())

        followers = [FollowClient(ex.port, mode, stop)
                     for mode in ["normal"] * 8 + ["slow"] * 8 + ["vanish"] * 8]
        for f in followers:
            f.start()

        # The checker: scrapes from another address, every counter must never go backwards.
        checker = {"scrapes": 0, "failures": [], "backwards": [], "rss_peak": 0, "last": None}

        def check():
            while not stop.is_set():
                checker["rss_peak"] = max(checker["rss_peak"], rss_kb(pid))
                try:
                    status, body = get(ex.port, "/metrics")
                except OSError as e:
                    checker["failures"].append(repr(e))
                    stop.wait(0.2)
                    continue
                if status != 200:
                    checker["failures"].append("status %d" % status)
                else:
                    checker["scrapes"] += 1
                    now = {(n, tuple(sorted(l.items()))): v for n, l, v in Metrics(body).samples
                           if n.endswith("_total")}
                    last = checker["last"]
                    if last is not None:
                        # A series may vanish only with its namespace; none does here.
                        for k, v in last.items():
                            if now.get(k, -1) < v:
                                checker["backwards"].append((k, v, now.get(k)))
                    checker["last"] = now
                stop.wait(0.2)

        th = threading.Thread(target=check, daemon=True)
        th.start()

        url = "http://127.0.0.1:%d" % ex.port
        wrk = [subprocess.Popen(["wrk", "-t1", "-c%d" % c, "-d%ds" % (DURATION - 2), "--timeout", "10s",
                                 "--latency", url + path],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for path, c in (("/metrics", 64), ("/events?limit=50", 32))]
        outs = [p.communicate(timeout=DURATION + 30)[0] for p in wrk]
        flood.communicate(timeout=DURATION + 30)
        stop.set()
        th.join(timeout=10)
        for f in followers:
            f.join(timeout=15)

        results = {}
        for path, out in zip(("/metrics", "/events"), outs):
            req, p99, sock_err, non2xx = parse_wrk(out)
            results[path] = (req, p99, sock_err, non2xx)
        streams = sum(f.streams for f in followers)
        busy = sum(f.busy for f in followers)
        print("\nload %ds (machine shared, busy): /metrics %d requests p99 %.1f ms; /events %d requests "
              "p99 %.1f ms; checker %d scrapes from %s; %d follow streams (+%d answered 503 at the cap), "
              "%d bytes streamed; peak RSS %.1f MiB"
              % (DURATION - 2, results["/metrics"][0], (results["/metrics"][1] or 0) * 1e3,
                 results["/events"][0], (results["/events"][1] or 0) * 1e3, checker["scrapes"], CHECKER,
                 streams, busy, sum(f.bytes for f in followers), checker["rss_peak"] / 1024))

        self.assertIsNone(ex.proc.poll(), "the exporter died:\n" + ex.log())
        for path, (req, _, sock_err, non2xx) in results.items():
            self.assertGreater(req, 100, path)
            self.assertEqual(sock_err, 0, "%s: wrk socket errors\n%s" % (path, outs[0 if path == "/metrics" else 1]))
            self.assertEqual(non2xx, 0, path)
        self.assertEqual(checker["failures"], [])
        self.assertGreaterEqual(checker["scrapes"], 5)  # a scrape every 0.2 s plus its own time
        self.assertEqual(checker["backwards"], [])
        self.assertLess(checker["rss_peak"], RSS_LIMIT_MB * 1024)
        for f in followers:
            self.assertEqual(f.errors, [], f.mode)
        self.assertGreater(streams, 16)
        # Counting stayed exact under the HTTP load.
        m, _ = assert_matches_oracle(ex, oracle, [a, b])
        self.assertGreater(m.sum("nfct_packets_total"), 1000)


if __name__ == "__main__":
    unittest.main()
