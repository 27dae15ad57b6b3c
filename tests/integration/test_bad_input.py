"""Bad flags, bad config and unusable listen addresses: a non-zero exit, a message on stderr
that names the flag or the file, line and column, and no BPF program or link left behind.
Also --config.check, --version and --help."""

import os
import re
import socket
import tempfile
import shutil
import unittest

from nfct_harness import (EXPORTER, NfctTestCase, nfct_prog_ids, free_port, run,
                          wait_no_leaked_programs)



def possible_cpus() -> int:
    """The kernel's possible CPUs ("0-1,4-7" ranges), as libbpf counts them."""
    with open("/sys/devices/system/cpu/possible") as f:
        n = 0
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n += int(hi or lo) - int(lo) + 1
        return n

class BadInputTest(NfctTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="nfct-t-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        # Every config names this namespace only, so that a run that gets as far as
        # attaching hooks nothing outside the test.
        self.ns = self.lab.netns("a")
        self.before = nfct_prog_ids()

    def config(self, text, name="config.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def good_config(self, extra=""):
        return self.config("netns:\n  - %s\n%s" % (self.ns.name, extra))

    def exporter(self, *args, listen=True):
        argv = [EXPORTER] + list(args)
        if listen and not any(a.startswith("--web.listen-address") for a in args):
            argv.append("--web.listen-address=127.0.0.1:%d" % free_port())
        return run(argv, check=False, timeout=30)

    def assertFails(self, p, *patterns):
        """Non-zero exit, every pattern (regex) in stderr, nothing left loaded."""
        self.assertNotEqual(p.returncode, 0, "stdout: %s\nstderr: %s" % (p.stdout, p.stderr))
        self.assertNotIn(p.returncode, (-6, -11, 134, 139), "crashed: %s" % p.stderr)
        for pat in patterns:
            self.assertRegex(p.stderr, pat)
        wait_no_leaked_programs(self.before)

    # ---------------------------------------------------------------- config file

    def test_missing_config_file(self):
        path = os.path.join(self.dir, "missing.yaml")
        p = self.exporter("--config.file=" + path)
        self.assertFails(p, re.escape(path), "cannot open|No such file")

    def test_malformed_yaml(self):
        path = self.config("netns:\n  - %s\nprobes: [nf:ipv4:input\n" % self.ns.name)
        p = self.exporter("--config.file=" + path)
        self.assertFails(p, re.escape(path) + r":\d+:\d+: ")

    def test_unknown_top_level_key(self):
        path = self.config("netns:\n  - %s\nprobez:\n  - nf:ipv4:input\n" % self.ns.name)
        p = self.exporter("--config.file=" + path)
        self.assertFails(p, re.escape(path) + r":3:1: .*probez")

    def test_unknown_nested_key(self):
        path = self.config("netns: [%s]\nweb:\n  listen_adress: 127.0.0.1:1\n" % self.ns.name)
        p = self.exporter("--config.file=" + path)
        self.assertFails(p, re.escape(path) + r":3:3: .*listen_adress")

    def test_unknown_probe(self):
        for probe, col in (("nf:ipv4:sideways", 5), ("nf:ipv5:input", 5), ("kprobe:tcp_v4_rcv", 5)):
            with self.subTest(probe=probe):
                path = self.config("netns: [%s]\nprobes:\n  - nf:ipv4:input\n  - %s\n" % (self.ns.name, probe))
                p = self.exporter("--config.file=" + path)
                self.assertFails(p, re.escape(path) + r":4:%d: .*%s" % (col, re.escape(probe)))

    def test_bad_values(self):
        cases = [
            ("netns_rescan_interval: soon\n", r":2:24: .*netns_rescan_interval"),
            ("maps:\n  max_entries: -5\n", r":3:16: .*max_entries"),
            ("log:\n  level: loud\n", r":3:10: .*loud"),
            ("web:\n  telemetry_path: metrics\n", r":3:19: .*metrics"),
            ("netns: some\n", r":2:8: .*netns"),
        ]
        for text, pattern in cases:
            with self.subTest(config=text):
                path = self.config("probes: [nf:ipv4:input]\n" + text)
                p = self.exporter("--config.file=" + path)
                self.assertFails(p, re.escape(path) + pattern)

    def test_only_unattachable_probes(self):
        """No probe at all attaches: exit non-zero, and say so."""
        path = self.good_config("probes:\n  - tp:net:does_not_exist\n")
        p = self.exporter("--config.file=" + path)
        self.assertFails(p, "tp:net:does_not_exist", "no probe")

    # ---------------------------------------------------------------- listen address

    def test_listen_address_in_use(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            addr = "127.0.0.1:%d" % s.getsockname()[1]
            p = self.exporter("--config.file=" + self.good_config(), "--web.listen-address=" + addr)
        # It got as far as loading and attaching in the namespace: assertFails also checks
        # that none of that outlived the process.
        self.assertFails(p, "cannot listen", re.escape(addr))

    def test_unusable_listen_addresses(self):
        path = self.good_config()
        for addr in ("999.1.1.1:80", ":0", "127.0.0.1:65536", "127.0.0.1", "[::1]:9747", "localhost:http"):
            with self.subTest(addr=addr):
                p = self.exporter("--config.file=" + path, "--web.listen-address=" + addr)
                self.assertFails(p, "--web.listen-address", re.escape(addr))

    def test_unusable_listen_address_in_config(self):
        path = self.config("netns: [%s]\nweb:\n  listen_address: 999.1.1.1:80\n" % self.ns.name)
        p = self.exporter("--config.file=" + path, listen=False)
        self.assertFails(p, re.escape(path) + r":3:19: .*999\.1\.1\.1:80")

    def test_nul_bytes_in_addresses_and_paths(self):
        """issue 9: a NUL byte in the listen address or a namespace path (YAML "\\0") is
        refused with its position, not cut short ("1.2.3.4\\0junk:80" was 1.2.3.4 and no port)."""
        cases = [
            ("netns: [%s]\nweb:\n  listen_address: \"127.0.0.1\\0junk:80\"\n" % self.ns.name,
             r":3:19: listen address '127\.0\.0\.1\\0junk:80': contains a NUL byte"),
            ("netns:\n  - \"/run/netns/%s\\0x\"\n" % self.ns.name, r":2:5: netns: entry contains a NUL byte"),
            ("web:\n  header_timeout: 0s\n", r":2:19: web\.header_timeout"),
            ("web:\n  max_connections: 5000\n", r":2:20: web\.max_connections"),
        ]
        for text, pattern in cases:
            with self.subTest(config=text):
                path = self.config(text)
                p = self.exporter("--config.file=" + path, listen=False)
                self.assertFails(p, re.escape(path) + pattern)
                self.assertNotIn("\0", p.stderr)

    def test_address_not_on_this_host(self):
        """A well-formed address that no interface has: bind fails, exit non-zero."""
        p = self.exporter("--config.file=" + self.good_config(), "--web.listen-address=192.0.2.77:%d" % free_port())
        self.assertFails(p, r"192\.0\.2\.77")

    # ---------------------------------------------------------------- flags

    def test_bad_flags(self):
        path = self.good_config()
        cases = [
            (["--no.such-flag"], r"--no\.such-flag"),
            (["--log.level=loud"], r"--log\.level.*loud|loud.*--log\.level"),
            (["--web.telemetry-path=metrics"], r"--web\.telemetry-path"),
            (["--web.telemetry-path=/healthz"], r"--web\.telemetry-path"),
            (["--config.file"], r"--config\.file"),
        ]
        for args, pattern in cases:
            with self.subTest(args=args):
                if args == ["--config.file"]:  # the value is missing at the end of the line
                    p = self.exporter("--web.listen-address=127.0.0.1:%d" % free_port(), *args)
                else:
                    p = self.exporter("--config.file=" + path, *args)
                self.assertFails(p, pattern)

    # ---------------------------------------------------------------- the good ones

    def test_config_check(self):
        """--config.check: exit 0 for a usable config and print the plan (the namespace's
        inode), exit 1 for a bad one; it never listens and leaves nothing loaded."""
        path = self.good_config("probes: [nf:ipv4:input, nf:ipv4:postrouting]\n")
        with socket.socket() as s:  # the port is taken: --config.check must not need it
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            p = self.exporter("--config.file=" + path, "--config.check",
                              "--web.listen-address=127.0.0.1:%d" % s.getsockname()[1])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("nf:ipv4:input", p.stdout)
        self.assertIn(str(self.ns.inode), p.stdout)
        # Sampling and the counting table are on by default: 16384 slots, 16 bytes each
        # plus 16 per possible CPU.
        ncpus = possible_cpus()
        self.assertIn("events: one tracked packet in 1000", p.stdout)
        self.assertIn("counting table: 16384 slots, %d KiB with %d possible CPUs\n"
                      % (16384 * 16 * (1 + ncpus) // 1024, ncpus), p.stdout)
        self.assertIn("table statistics: read on every scrape", p.stdout)
        self.assertIn("zone entries: off", p.stdout)
        wait_no_leaked_programs(self.before)

        on = self.good_config("probes: [nf:ipv4:input]\nevents: {sample_rate: 100}\nmaps: {slots: 0}\n"
                              "table_stats: {per_cpu: true}\nzone_entries: {enabled: true, interval: 5s, timeout: 2s}\n")
        p = self.exporter("--config.file=" + on, "--config.check")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("events: one tracked packet in 100\n", p.stdout)
        self.assertIn("counting table: off", p.stdout)
        self.assertIn("table statistics: read on every scrape, per CPU", p.stdout)
        self.assertIn("zone entries: dumped every 5000ms", p.stdout)
        wait_no_leaked_programs(self.before)

        bad = self.config("netns: [%s]\nprobes: [nf:ipv4:input]\nbogus: 1\n" % self.ns.name, "bad.yaml")
        p = self.exporter("--config.file=" + bad, "--config.check")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, re.escape(bad) + r":3:1: .*bogus")

        tp = self.good_config("probes: [tp:net:does_not_exist]\n")
        p = self.exporter("--config.file=" + tp, "--config.check")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("tp:net:does_not_exist", p.stdout + p.stderr)
        wait_no_leaked_programs(self.before)

    def test_version_and_help(self):
        p = self.exporter("--version", listen=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nfct_exporter", p.stdout)
        p = self.exporter("--help", listen=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        for flag in ("--config.file", "--web.listen-address", "--web.telemetry-path", "--config.check",
                     "--log.level", "--version"):
            self.assertIn(flag, p.stdout)


if __name__ == "__main__":
    unittest.main()
