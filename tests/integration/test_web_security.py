"""--web.config.file: TLS, client certificates and basic auth against the real exporter.

Certificates are made by the openssl command line in a temporary directory (a CA, a server
certificate for 127.0.0.1 signed by it, a client certificate signed by it, and a
self-signed client certificate the CA never saw); bcrypt hashes by libxcrypt through
Python's crypt module. Every exporter hooks only a namespace of the test."""

import concurrent.futures
import http.client
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

from nfct_harness import (EXPORTER, IPV4_PROBES, Metrics, NfctTestCase, conntrack_on, free_port, nfct_prog_ids,
                          run, wait_for, wait_no_leaked_programs)


def bcrypt(password, rounds=1 << 10):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=rounds))


def basic(user, password):
    import base64
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class Pki:
    """A CA, a server certificate for 127.0.0.1 and two client certificates."""

    def __init__(self, d):
        self.dir = d
        self.ca_key, self.ca = self.path("ca.key"), self.path("ca.crt")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", self.ca_key, "-out", self.ca, "-days", "1", "-subj", "/CN=nfct-test-ca")
        self.server_crt, self.server_key = self._signed("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                                                  "extendedKeyUsage=serverAuth\n")
        self.client_crt, self.client_key = self._signed("client", "extendedKeyUsage=clientAuth\n")
        # A client certificate from nobody the exporter trusts.
        self.rogue_key, self.rogue_crt = self.path("rogue.key"), self.path("rogue.crt")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", self.rogue_key, "-out", self.rogue_crt, "-days", "1", "-subj", "/CN=rogue")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, *args):
        run(["openssl"] + list(args))

    def _signed(self, name, ext):
        key, csr, crt, extfile = (self.path(name + s) for s in (".key", ".csr", ".crt", ".ext"))
        with open(extfile, "w") as f:
            f.write(ext)
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial",
                      "-out", crt, "-days", "1", "-extfile", extfile)
        return crt, key


class WebSecurityTest(NfctTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="nfct-t-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.ns = self.lab.netns("a")
        conntrack_on(self.ns)

    def web_config(self, text, name="web.yml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, web_text, extra=None):
        return self.exporter(netns=[self.ns], probes=IPV4_PROBES, ready=False, extra=extra,
                             args=["--web.config.file=" + self.web_config(web_text)])

    @staticmethod
    def tls_context(pki, client=None):
        ctx = ssl.create_default_context(cafile=pki.ca)
        if client:
            ctx.load_cert_chain(*client)
        return ctx

    @staticmethod
    def request(ex, path, auth=None, context=None, timeout=10):
        """(status, headers, body) over HTTPS when context is given, else plain HTTP."""
        if context:
            conn = http.client.HTTPSConnection("127.0.0.1", ex.port, context=context, timeout=timeout)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Authorization": auth} if auth else {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def wait_serving(self, ex, path, expect, **kw):
        def up():
            ex._alive()
            try:
                s = self.request(ex, path, timeout=2, **kw)[0]
                return s == expect, s
            except (OSError, http.client.HTTPException) as e:
                return False, repr(e)
        wait_for(up, timeout=20, what="the exporter to serve " + path)

    # ----------------------------------------------------------------- TLS + basic auth

    def test_tls_and_basic_auth(self):
        pki = Pki(self.dir)
        ex = self.start("""
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  alice: '%s'
unauthenticated_paths: [/healthz]
""" % bcrypt("s3cret", rounds=1 << 6), extra={"events": {"sample_rate": 1}})
        ctx = self.tls_context(pki)
        self.wait_serving(ex, "/healthz", 200, context=ctx)  # exempt: no password

        good = basic("alice", "s3cret")
        status, _, body = self.request(ex, "/metrics", auth=good, context=ctx)
        self.assertEqual(status, 200, body)
        m = Metrics(body)
        self.assertEqual(m.value("nfct_probe_attached", probe="nf:ipv4:input", netns=self.ns.label), 1)
        status, headers, body = self.request(ex, "/events?limit=5", auth=good, context=ctx)
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("application/json"), headers)
        self.assertIsInstance(__import__("json").loads(body), list)

        refusals = {"wrong password": basic("alice", "s3creT"), "unknown user": basic("mallory", "s3cret"),
                    "no password": None, "not basic": "Bearer abc"}
        for what, auth in refusals.items():
            for path in ("/metrics", "/events", "/"):
                with self.subTest(what=what, path=path):
                    status, headers, body = self.request(ex, path, auth=auth, context=ctx)
                    self.assertEqual(status, 401, body)
                    self.assertRegex(headers.get("www-authenticate", ""), r'^Basic realm="nfct_exporter"')
                    self.assertNotIn("nfct_", body)

        # Exact accounting: 3 paths x (1 wrong password + 1 unknown user) were checked with
        # bcrypt and refused, 3 x 2 came without usable credentials.
        m = Metrics(self.request(ex, "/metrics", auth=good, context=ctx)[2])
        self.assertEqual(m.get("nfct_web_auth_requests_total", result="wrong"), 6)
        self.assertEqual(m.get("nfct_web_auth_requests_total", result="missing"), 6)
        self.assertEqual(m.get("nfct_web_auth_requests_total", result="rate_limited"), 0)
        self.assertEqual(m.get("nfct_web_auth_requests_total", result="ok"), 1)  # then from the cache

        # Plain HTTP to the TLS port gets no HTTP answer, and the server keeps serving.
        with socket.create_connection(("127.0.0.1", ex.port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: " + good.encode() + b"\r\n\r\n")
            answer = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertFalse(answer.startswith(b"HTTP/"), answer[:200])
        self.assertNotIn(b"nfct_", answer)
        with self.assertRaises((OSError, http.client.HTTPException)):
            self.request(ex, "/healthz")
        # A client that does not trust the exporter's CA refuses the connection.
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.request(ex, "/healthz", context=ssl.create_default_context())
        self.assertEqual(self.request(ex, "/metrics", auth=good, context=ctx)[0], 200)
        self.assertEqual(ex.stop(), 0)

    # ----------------------------------------------------------------- client certificates

    def test_client_certificate_required(self):
        pki = Pki(self.dir)
        ex = self.start("""
tls_server_config:
  cert_file: %s
  key_file: %s
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: %s
  min_version: TLS12
""" % (pki.server_crt, pki.server_key, pki.ca))
        with_cert = self.tls_context(pki, client=(pki.client_crt, pki.client_key))
        self.wait_serving(ex, "/healthz", 200, context=with_cert)
        status, _, body = self.request(ex, "/metrics", context=with_cert)
        self.assertEqual(status, 200)
        self.assertIn("nfct_exporter_build_info", body)
        for what, ctx in (("no client certificate", self.tls_context(pki)),
                          ("a certificate the CA did not sign", self.tls_context(pki, (pki.rogue_crt, pki.rogue_key)))):
            with self.subTest(what):
                # TLS 1.3 reports the server's refusal on the first read after the handshake.
                with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError,
                                        http.client.RemoteDisconnected)):
                    self.request(ex, "/metrics", context=ctx)
        self.assertEqual(self.request(ex, "/metrics", context=with_cert)[0], 200)
        self.assertEqual(ex.stop(), 0)

    # ----------------------------------------------------------------- bcrypt flood

    def test_wrong_password_flood_does_not_starve_scrapes(self):
        password = "right-one"
        hashed = bcrypt(password, rounds=1 << 10)
        # One bcrypt at the hash's cost, measured here (same libxcrypt): the budget's unit.
        t_bcrypt = min(self._time(lambda: crypt.crypt("x", hashed)) for _ in range(3))
        ex = self.start("basic_auth_users:\n  prom: '%s'\nunauthenticated_paths: [/healthz]\n" % hashed)
        self.wait_serving(ex, "/healthz", 200)
        good = basic("prom", password)
        self.assertEqual(self.request(ex, "/metrics", auth=good)[0], 200)  # verified once, cached

        stop = threading.Event()
        answers = {}
        lock = threading.Lock()

        def flood(i):
            n = 0
            while not stop.is_set():
                try:
                    s = self.request(ex, "/metrics", auth=basic("prom", "guess-%d-%d" % (i, n)), timeout=10)[0]
                except (OSError, http.client.HTTPException):
                    s = "error"
                with lock:
                    answers[s] = answers.get(s, 0) + 1
                n += 1

        scrapes = []
        duration = 6.0
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(flood, i) for i in range(16)]
            start = time.monotonic()
            while time.monotonic() - start < duration:
                t0 = time.monotonic()
                status, _, body = self.request(ex, "/metrics", auth=good, timeout=10)
                scrapes.append((status, time.monotonic() - t0))
                time.sleep(0.2)  # the scrape interval of this test's "Prometheus", not a synchronisation
            stop.set()
            for f in futures:
                f.result()
            elapsed = time.monotonic() - start

        print("\nflood: %.1fs, answers %s, bcrypt %.3fs, %d scrapes, slowest %.3fs"
              % (elapsed, answers, t_bcrypt, len(scrapes), max(t for _, t in scrapes)), file=sys.stderr)
        self.assertTrue(scrapes)
        self.assertEqual([s for s, _ in scrapes if s != 200], [], "scrapes with the right password failed")
        slowest = max(t for _, t in scrapes)
        self.assertLess(slowest, 3.0, "a scrape took %.2fs during the flood" % slowest)
        self.assertEqual(set(answers) - {401, 429}, set(), answers)  # every guess refused, none crashed
        m = Metrics(self.request(ex, "/metrics", auth=good)[2])
        # Exact: the exporter's accounting matches the answers the flood received.
        self.assertEqual(m.get("nfct_web_auth_requests_total", result="wrong"), answers.get(401, 0))
        self.assertEqual(m.get("nfct_web_auth_requests_total", result="rate_limited"), answers.get(429, 0))
        self.assertGreater(answers.get(429, 0), 0, answers)
        # The bcrypt budget: a bucket of 1 s of bcrypt time refilled at a quarter of a second
        # per second, so at most (1 + elapsed / 4) / t checks (+1 for the one that overdraws
        # it), 1.5 times for timing noise. Without the bucket (one check at a time still) the
        # flood would get elapsed / t through, about 1.6 times the bound (6 s).
        bound = 1.5 * (1 + (1.0 + elapsed / 4) / t_bcrypt)
        self.assertLessEqual(answers.get(401, 0), bound,
                             "%d wrong passwords were checked with bcrypt (t=%.3fs, %.1fs): budget exceeded"
                             % (answers.get(401, 0), t_bcrypt, elapsed))
        self.assertEqual(ex.stop(), 0)

    @staticmethod
    def _time(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    # ----------------------------------------------------------------- bad files

    def test_bad_web_config_is_a_clear_startup_error(self):
        before = nfct_prog_ids()
        pki = Pki(self.dir)
        config = os.path.join(self.dir, "nfct.yml")
        with open(config, "w") as f:
            f.write("netns: [%s]\nprobes: [nf:ipv4:input]\n" % self.ns.name)
        missing = os.path.join(self.dir, "missing.yml")
        cases = [
            (missing, [re.escape(missing), "cannot open"]),
            (self.web_config("tls_server_config:\n  cert_file: server.crt\n  keyfile: server.key\n", "w1.yml"),
             [r"w1\.yml:3:3: unknown tls_server_config key 'keyfile'"]),
            (self.web_config("basic_auth_users:\n  alice: hunter2\n", "w2.yml"),
             [r"w2\.yml:2:10: basic_auth_users\.alice: not a bcrypt hash"]),
            (self.web_config("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n", "w3.yml"),
             [r"w3\.yml: tls_server_config\.cert_file " + re.escape(os.path.join(self.dir, "nope.crt")) +
              ": cannot open: No such file"]),
            (self.web_config("tls_server_config:\n  cert_file: server.crt\n  key_file: rogue.key\n", "w4.yml"),
             [r"w4\.yml: tls_server_config\.key_file .*rogue\.key: does not match cert_file"]),
        ]
        for path, patterns in cases:
            with self.subTest(path=path, patterns=patterns):
                p = run([EXPORTER, "--config.file=" + config, "--web.config.file=" + path, "--web.listen-address=127.0.0.1:%d" % free_port()],
                        check=False, timeout=30)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("web config ", p.stderr)
                for pat in patterns:
                    self.assertRegex(p.stderr, pat)
        self.assertTrue(pki)
        wait_no_leaked_programs(before)
