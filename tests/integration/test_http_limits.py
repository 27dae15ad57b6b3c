"""HTTP connection limits (issue 9): idle and slow-header clients cannot silence the
exporter. Connections beyond web.max_connections_per_client (from one address) or
web.max_connections (in total) are closed at once; a request head that is not complete
within web.header_timeout ends its connection; scrapes from another address keep
answering throughout.

Clients from 127.0.0.1 attack, scrapes come from 127.0.0.2 (a client socket bound to that
loopback address); the exporter listens on 127.0.0.1."""

import http.client
import resource
import selectors
import socket
import threading
import time

from nfct_harness import (IPV4_PROBES, NfctTestCase, Metrics, conntrack_on, http_get_from, read_to_eof,
                          wait_for)

ATTACKER = "127.0.0.1"
OTHER = "127.0.0.2"


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(hard, n)))


class BoundConnection(http.client.HTTPConnection):
    """An HTTP connection whose client socket is bound to a given source address."""

    def __init__(self, source, port, timeout):
        super().__init__("127.0.0.1", port, timeout=timeout, source_address=(source, 0))


def timed_get(source, port, path="/metrics", timeout=5):
    """(status, seconds, body). Raises OSError / HTTPException when the connection fails."""
    t0 = time.monotonic()
    conn = BoundConnection(source, port, timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read().decode()
        return r.status, time.monotonic() - t0, body
    finally:
        conn.close()


class Swarm:
    """Many client sockets from one address in one selector thread: `idle` ones never send
    a byte, `slow` ones trickle a request head one byte every `drip` seconds and never
    finish it. Records when each connected and when the server closed it."""

    HEAD = b"GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: slow-" + b"x" * 200

    def __init__(self, source, port, idle, slow, drip=0.2):
        self.sel = selectors.DefaultSelector()
        self.socks = {}  # fd -> record
        self.drip = drip
        self.stop = threading.Event()
        for i in range(idle + slow):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((source, 0))
            s.connect_ex(("127.0.0.1", port))
            rec = {"sock": s, "slow": i >= idle, "opened": None, "closed": None, "sent": 0}
            self.socks[s.fileno()] = rec
            self.sel.register(s, selectors.EVENT_WRITE, rec)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _close(self, rec, now):
        rec["closed"] = now
        self.sel.unregister(rec["sock"])

    def _run(self):
        next_drip = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            for key, ev in self.sel.select(timeout=0.05):
                rec, s = key.data, key.fileobj
                now = time.monotonic()
                if rec["opened"] is None:  # connect finished (or failed)
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    rec["opened"] = now
                    if err:
                        rec["error"] = err
                        self._close(rec, now)
                        continue
                    self.sel.modify(s, selectors.EVENT_READ, rec)
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    self._close(rec, now)
            if now >= next_drip:
                next_drip = now + self.drip
                for rec in self.socks.values():
                    if rec["slow"] and rec["opened"] and rec["closed"] is None and rec["sent"] < len(self.HEAD):
                        try:
                            rec["sock"].send(self.HEAD[rec["sent"]:rec["sent"] + 1])
                            rec["sent"] += 1
                        except OSError:
                            pass  # noticed as a close by the reader

    def all_connected(self):
        return all(r["opened"] is not None for r in self.socks.values())

    def all_closed(self):
        return all(r["closed"] is not None for r in self.socks.values())

    def records(self):
        return list(self.socks.values())

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        for r in self.socks.values():
            r["sock"].close()


class HttpLimitsTest(NfctTestCase):

    def setUp(self):
        super().setUp()
        raise_nofile(8192)

    def _exporter(self, **web):
        a = self.lab.netns("a")
        conntrack_on(a)
        return self.exporter(netns=[a], probes=IPV4_PROBES, extra={"web": web})

    def _metrics(self, ex, source=OTHER):
        """A scrape that asks the server to close the connection after the answer
        (connections are kept alive otherwise) and reads until it does: the exporter frees a
        connection's slot before it closes it, so afterwards the scrape holds no slot."""
        status, body = http_get_from(ex.port, "/metrics", source)
        self.assertEqual(status, 200, body[:200])
        return Metrics(body)

    def test_idle_and_slow_clients_do_not_silence_scrapes(self):
        """1000 idle connections plus 50 slow-header clients from 127.0.0.1: scrapes from
        127.0.0.2 answer within 1 s each, throughout; a scrape from 127.0.0.1 gets in within
        the header timeout plus 1 s; every attacking connection is closed within the
        header timeout; the self metrics count exactly the refused and timed-out ones."""
        timeout = 2.0
        ex = self._exporter(header_timeout="2s")
        before = self._metrics(ex)
        per_client = before.get("nfct_exporter_http_max_connections_per_client")
        self.assertEqual(per_client, 32)
        self.assertEqual(before.get("nfct_exporter_http_connections_refused_total", reason="per_client"), 0)

        # Scrapes from the other address, every 100 ms, on their own thread from now on.
        other = {"latencies": [], "failures": []}
        stop = threading.Event()

        def scrape_other():
            while not stop.is_set():
                try:
                    status, dt, _ = timed_get(OTHER, ex.port, timeout=5)
                    other["latencies"].append(dt)
                    if status != 200:
                        other["failures"].append("status %d" % status)
                except (OSError, http.client.HTTPException) as e:
                    other["failures"].append(repr(e))
                stop.wait(0.1)

        scraper = threading.Thread(target=scrape_other, daemon=True)
        scraper.start()
        self.addCleanup(stop.set)

        t_attack = time.monotonic()
        swarm = Swarm(ATTACKER, ex.port, idle=1000, slow=50)
        self.addCleanup(swarm.close)
        wait_for(swarm.all_connected, timeout=20, interval=0.05, what="1050 attacking connections")
        connected = time.monotonic() - t_attack

        # A scrape from the attacked address: refused (closed at once) while the address
        # is at its limit, answered once the header timeout frees its slots.
        t0 = time.monotonic()
        same_attempts, same_refused = 0, 0
        while True:
            same_attempts += 1
            try:
                status, _, _ = timed_get(ATTACKER, ex.port, timeout=timeout + 2)
                self.assertEqual(status, 200)
                break
            except (OSError, http.client.HTTPException):
                same_refused += 1
                self.assertLess(time.monotonic() - t0, timeout + 1, "no scrape from %s got in" % ATTACKER)
                time.sleep(0.05)
        same_wait = time.monotonic() - t0
        self.assertLessEqual(same_wait, timeout + 1)

        wait_for(swarm.all_closed, timeout=timeout + 5, interval=0.05, what="every attacking connection closed")
        # The other-address scrapes go on until a few more have answered after the attack.
        n = len(other["latencies"])
        wait_for(lambda: len(other["latencies"]) >= n + 3 or other["failures"], timeout=10,
                 what="three more scrapes from %s" % OTHER)
        stop.set()
        scraper.join(timeout=10)

        recs = swarm.records()
        lifetimes = [r["closed"] - r["opened"] for r in recs]
        admitted = [r for r in recs if r["closed"] - r["opened"] >= timeout / 2]
        refused = [r for r in recs if r["closed"] - r["opened"] < timeout / 2]
        print("\nattack: %d connections from %s in %.2fs; %d admitted and closed after %.2f-%.2fs, "
              "%d refused (longest %.3fs); same-address scrape after %.2fs (%d refused attempts); "
              "other-address scrapes: %d, max %.3fs, failures %d"
              % (len(recs), ATTACKER, connected, len(admitted),
                 min((r["closed"] - r["opened"] for r in admitted), default=0),
                 max((r["closed"] - r["opened"] for r in admitted), default=0),
                 len(refused), max((r["closed"] - r["opened"] for r in refused), default=0),
                 same_wait, same_refused, len(other["latencies"]), max(other["latencies"], default=0),
                 len(other["failures"])))

        self.assertEqual(other["failures"], [])
        self.assertGreaterEqual(len(other["latencies"]), 10)
        self.assertLess(max(other["latencies"]), 1.0)
        self.assertTrue(all(not r.get("error") for r in recs), "a connect failed")
        # Every attacking connection is closed within the header timeout (plus the
        # scheduling slack of a shared 2-core machine).
        self.assertLessEqual(max(lifetimes), timeout + 0.5)
        self.assertLessEqual(len(admitted), per_client)
        self.assertGreater(len(admitted), 0)

        # Exact self metrics: each refused socket (attackers and refused scrape attempts)
        # is one refusal; each admitted attacker timed out.
        def counted():
            m = self._metrics(ex)
            got = (m.get("nfct_exporter_http_connections_refused_total", reason="per_client"),
                   m.get("nfct_exporter_http_connections_refused_total", reason="total"),
                   m.get("nfct_exporter_http_timeouts_total"),
                   m.get("nfct_exporter_http_connections"))
            want = (len(refused) + same_refused, 0, len(admitted), 1)  # 1: this scrape
            return got == want, "got %s, want %s" % (got, want)

        wait_for(counted, timeout=5, interval=0.1, what="the connection counters")
        # SIGTERM: exit 0 (under the sanitizer pass, also no leak and no sanitizer report).
        self.assertEqual(ex.stop(), 0, ex.log())

    def test_limits_per_client_and_total_are_exact(self):
        """max_connections 16, per client 10: the 11th connection from one address and the
        17th in total are closed at once, counted by reason; closing one frees its slot."""
        ex = self._exporter(header_timeout="30s", max_connections=16, max_connections_per_client=10)

        def open_conn(source):
            s = socket.create_connection(("127.0.0.1", ex.port), timeout=5, source_address=(source, 0))
            self.addCleanup(s.close)
            return s

        def closed_at_once(s):
            s.settimeout(1.0)
            try:
                return s.recv(1) == b""
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False

        def open_count(expected):
            def check():
                m = self._metrics(ex)
                n = m.get("nfct_exporter_http_connections")
                return n == expected, "open %s, want %s" % (n, expected)
            wait_for(check, timeout=5, interval=0.1, what="%d open connections" % expected)

        # 127.0.0.5: an address nothing else in the test uses.
        first = [open_conn("127.0.0.5") for _ in range(10)]
        open_count(10 + 1)  # + the scrape that reads it
        extra = open_conn("127.0.0.5")
        self.assertTrue(closed_at_once(extra), "the 11th connection from 127.0.0.5 stayed open")
        third = [open_conn("127.0.0.3") for _ in range(5)]  # 15 open: one left for a scrape
        open_count(15 + 1)
        third.append(open_conn("127.0.0.3"))               # 16: the total is reached
        over = open_conn("127.0.0.4")
        self.assertTrue(closed_at_once(over), "the 17th connection stayed open")
        self.assertFalse(closed_at_once(first[1]), "an admitted connection was closed")
        # Free one slot deterministically: a request that asks the server to close, read to
        # the end (the server releases the slot before it closes). Closing the socket from
        # this side instead races the next scrape: until the server has seen the FIN, the
        # slot is still held and that scrape would be refused.
        last = third.pop()
        last.settimeout(5)
        last.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_to_eof(last)
        last.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:100])
        open_count(15 + 1)
        m = self._metrics(ex)
        self.assertEqual(m.get("nfct_exporter_http_connections_refused_total", reason="per_client"), 1)
        self.assertEqual(m.get("nfct_exporter_http_connections_refused_total", reason="total"), 1)
        self.assertEqual(m.get("nfct_exporter_http_timeouts_total"), 0)
        self.assertEqual(m.get("nfct_exporter_http_max_connections"), 16)
        # Admitted connections still work: each of the first ten can send a request.
        s = first[0]
        s.settimeout(5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(s.recv(64).startswith(b"HTTP/1.1 200"))
        self.assertEqual(ex.stop(), 0, ex.log())  # with 15 connections still open


if __name__ == "__main__":
    import unittest
    unittest.main()
