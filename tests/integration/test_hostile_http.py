"""Hostile HTTP: malformed requests, oversized ones, odd methods and encodings get an error
status or a closed connection, never a crash; the exporter keeps serving afterwards."""

import json
import signal
import socket
import unittest

from nfct_harness import IPV4_PROBES, NfctTestCase, conntrack_on


def raw(port, data, timeout=5):
    """Sends raw bytes; returns what the server answered before closing (may be b"")."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close an oversized request before reading all of it
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout, OSError):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def status_of(answer):
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


class HostileHttpTest(NfctTestCase):

    def test_garbage_and_oversized_requests(self):
        a = self.lab.netns("a")
        conntrack_on(a)
        ex = self.exporter(netns=[a], probes=IPV4_PROBES)
        cases = {
            "garbage": b"\x00\xff\xfe garbage \r\n\r\n",
            "no version": b"GET /metrics\r\n\r\n",
            "bad method": b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
            "header without colon": b"GET /metrics HTTP/1.1\r\nthis is not a header\r\n\r\n",
            "huge uri": b"GET /events?limit=" + b"9" * 200000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            "huge header": b"GET /metrics HTTP/1.1\r\nX-A: " + b"a" * 200000 + b"\r\n\r\n",
            "many parameters": b"GET /events?" + b"&".join(b"p%d=1" % i for i in range(5000)) +
                               b" HTTP/1.1\r\nHost: x\r\n\r\n",
            "bad percent": b"GET /events?state=%G1%%% HTTP/1.1\r\nHost: x\r\n\r\n",
            "nul in query": b"GET /events?state=new%00x HTTP/1.1\r\nHost: x\r\n\r\n",
            "dot dot": b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
            "post body": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "negative length": b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "truncated": b"GET /metr",
        }
        for name, data in cases.items():
            with self.subTest(name):
                answer = raw(ex.port, data)
                status = status_of(answer)
                # Either an HTTP error status or a closed connection; never a 200 with
                # content for a request that makes no sense, never a dead exporter.
                self.assertTrue(status is None or status >= 400, "%s: %r" % (name, answer[:200]))
                self.assertIsNone(ex.proc.poll(), "the exporter died on %s" % name)
                self.assertNotIn(b"root:", answer)
        # Still serving, and a bad query string still gets its JSON 400.
        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)
        status, _, body = ex.request("/events?state=%G1")
        self.assertEqual(status, 400)
        self.assertIn("percent", body)
        self.assertEqual(ex.scrape().get("nfct_exporter_scrape_errors_total"), 0)
        # And it still shuts down cleanly (under a sanitizer build: without leaks).
        ex.proc.send_signal(signal.SIGTERM)
        self.assertEqual(ex.proc.wait(timeout=10), 0, ex.log())

    def test_query_names_that_are_not_utf8(self):
        # Regression: a parameter name that is not valid UTF-8 went into the 400 answer's
        # JSON body, the JSON library threw, nothing caught it and the process aborted.
        a = self.lab.netns("a")
        conntrack_on(a)
        ex = self.exporter(netns=[a], probes=IPV4_PROBES)
        for query in ["%ff", "f%f2=1", "%c3=1&%c3=2", "state=%ff", "%ff=%fe&format=text",
                      "format=ndjson&%80"]:
            with self.subTest(query):
                answer = raw(ex.port, b"GET /events?" + query.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(status_of(answer), 400, answer[:300])
                body = answer.split(b"\r\n\r\n", 1)[1]
                doc = json.loads(body.decode("utf-8"))  # valid UTF-8 JSON, bad bytes replaced
                self.assertEqual(doc["error"], "bad request")
                self.assertIsNone(ex.proc.poll(), "the exporter died on %s" % query)
        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)
        ex.proc.send_signal(signal.SIGTERM)
        self.assertEqual(ex.proc.wait(timeout=10), 0, ex.log())


if __name__ == "__main__":
    unittest.main()
