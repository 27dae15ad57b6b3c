"""Helpers for the conntrack table statistics tests (test_table_*.py).

Each test makes its own network namespaces (``nfct-tbl-<pid>-<n>-<tag>``), starts its own
exporter on a free loopback port with a config naming only those namespaces, and undoes
everything with ``addCleanup``, also when it fails. Nothing sleeps to synchronise:
``wait_for`` polls a condition against a deadline.

The oracles are the conntrack tool's own views, read inside the namespace:
``conntrack -C``, ``conntrack -S`` (one line per CPU, summed here), ``conntrack -S expect``,
``conntrack -L`` and ``conntrack -L -w ZONE``.
"""

import http.client
import os
import shutil
import subprocess
import tempfile
import unittest

import nfct_harness as base

SOURCE_DIR = os.environ.get("NFCT_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORTER = os.environ.get("NFCT_EXPORTER") or os.path.join(SOURCE_DIR, "build", "nfct_exporter")
CT_MAX = "/proc/sys/net/netfilter/nf_conntrack_max"

PREFIX = "nfct-tbl-%d-" % os.getpid()


# The shared helpers, with this module's longer defaults (table fills and dumps of
# 100 000 entries take longer than the counting tests' commands).
def run(cmd, *, check=True, input=None, timeout=60):
    return base.run(cmd, check=check, input=input, timeout=timeout)


def wait_for(fn, timeout=15.0, interval=0.05, what="condition"):
    return base.wait_for(fn, timeout=timeout, interval=interval, what=what)


free_port = base.free_port


# ------------------------------------------------------------------ namespaces

CONNTRACK_ON = """
table inet nfct_tbl {
  chain in {
    type filter hook input priority 0; policy accept;
    ct state new accept
  }
  chain out {
    type filter hook output priority 0; policy accept;
    ct state new accept
  }
}
"""


class Netns(base.Netns):
    """The shared namespace handle, with this module's command timeout and the
    conntrack-tools oracles."""

    def run(self, argv, **kw):
        return run(self.cmd(argv), **kw)

    # The oracles.
    def ct_count(self):
        return int(self.run(["conntrack", "-C"]).stdout.strip())

    def ct_stats(self, expect=False):
        """{cpu: {name: value}} from conntrack -S (or -S expect)."""
        out = self.run(["conntrack", "-S"] + (["expect"] if expect else [])).stdout
        return parse_conntrack_stats(out)

    def ct_list(self, *args):
        """Lines of conntrack -L [args] (the summary line goes to stderr)."""
        out = self.run(["conntrack", "-L"] + list(args)).stdout
        return [l for l in out.splitlines() if l.strip()]

    def __repr__(self):
        return "Netns(%s)" % self.name


def parse_conntrack_stats(text):
    cpus = {}
    for line in text.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "cpu" not in fields:
            continue
        cpu = int(fields.pop("cpu"))
        cpus[cpu] = {k: int(v) for k, v in fields.items()}
    if not cpus:
        raise AssertionError("no per-CPU lines in conntrack -S output: %r" % text)
    return cpus


def sum_stats(cpus):
    total = {}
    for values in cpus.values():
        for k, v in values.items():
            total[k] = total.get(k, 0) + v
    return total


class Lab(base.Lab):
    """The shared lab, with this module's namespaces (conntrack on by default) and helper
    processes that get a stdin pipe (the table scripts hold their sockets open until it
    closes)."""
    netns_class = Netns
    prefix = PREFIX

    def netns(self, tag, conntrack=True):
        ns = super().netns(tag)
        if conntrack:
            ns.nft(CONNTRACK_ON)
        return ns

    def background(self, ns, script, *args):
        return super().background(ns, script, *args, stdin=True)


reap = base.reap


# ------------------------------------------------------------------ traffic

# argv: dst first_port count [src_port]. One datagram to each of count ports; errors
# (EPERM when conntrack drops the packet) are counted, not raised. Prints "sent failed".
UDP_SPRAY = r"""
import socket, sys
dst, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if len(sys.argv) > 4:
    s.bind(("0.0.0.0", int(sys.argv[4])))
sent = failed = 0
for p in range(first, first + count):
    try:
        s.sendto(b"x", (dst, p))
        sent += 1
    except OSError:
        failed += 1
print(sent, failed)
"""

# argv: count. UDP flows to distinct (source port, destination port) pairs over
# loopback, 50 000 per socket; with input dropping them no ICMP answers.
UDP_FILL = r"""
import socket, sys
count, sent, socks = int(sys.argv[1]), 0, []
while sent < count:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    socks.append(s)
    for port in range(10000, 10000 + min(50000, count - sent)):
        s.sendto(b"x", ("127.0.0.1", port))
        sent += 1
"""

FILL_RULES = """
table inet nfct_tbl_fill {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 10000-60000 drop
  }
}
"""

# argv: addr port count. Opens `count` TCP connections to a listener of its own and holds
# them (established, assured) until stdin closes.
TCP_HOLD = r"""
import resource, socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 2 * count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * count + 64), hard))
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((addr, port))
l.listen(count + 16)
held = []
for i in range(count):
    c = socket.create_connection((addr, port), timeout=10)
    s, _ = l.accept()
    c.sendall(b"x"); s.recv(1)   # data both ways: established and assured
    s.sendall(b"y"); c.recv(1)
    held += [c, s]
print("ready", flush=True)
sys.stdin.read()
"""

# argv: dst port. A TCP segment with SYN and FIN set: conntrack counts it invalid.
RAW_SYN_FIN = r"""
import socket, struct, sys
dst, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
hdr = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x03, 1024, 0, 0)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
src = socket.inet_aton("127.0.0.1") if dst.startswith("127.") else None
s.connect((dst, 0))
if src is None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect((dst, 9))
    src = socket.inet_aton(probe.getsockname()[0])
pseudo = src + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
s.send(hdr)
"""


# ------------------------------------------------------------------ metrics

class Metrics(base.Metrics):
    """The shared parser; value() gives integers where the sample is one."""

    def value(self, name, **labels):
        v = super().value(name, **labels)
        return int(v) if v is not None and float(v).is_integer() else v

    def names(self, prefix):
        return {n for n, _, _ in self.samples if n.startswith(prefix)}


# ------------------------------------------------------------------ exporter

yaml_config = base.yaml_config


class Exporter:
    def __init__(self, test, netns, extra=None):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="nfct-tbl-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        cfg = {"probes": ["nf:ipv4:input", "nf:ipv4:postrouting"], "netns": [n.name for n in netns],
               "netns_rescan_interval": "200ms"}
        cfg.update(extra or {})
        self.config_path = os.path.join(self.dir, "config.yaml")
        with open(self.config_path, "w") as f:
            f.write(yaml_config(cfg))
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "exporter.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [EXPORTER, "--config.file=" + self.config_path, "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self._log, stderr=subprocess.STDOUT)
        test.addCleanup(self.kill)
        self.wait_ready(netns)

    def kill(self):
        base.stop_process(self.proc)
        self._log.close()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def get(self, path="/metrics", timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def scrape(self):
        status, body = self.get()
        if status != 200:
            raise AssertionError("GET /metrics: %d %s" % (status, body))
        return Metrics(body)

    def wait_ready(self, netns, timeout=20):
        def ready():
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError("exporter exited with %d:\n%s" % (rc, self.log()))
            try:
                m = self.scrape()
            except OSError as e:
                return False, "no HTTP yet: %s" % e
            missing = [n.name for n in netns if m.value("nfct_table_read_success", netns=n.label) != 1]
            return (not missing), "not read yet: %s\nlog:\n%s" % (missing, self.log())
        return wait_for(ready, timeout=timeout, what="the exporter to read every namespace")

    def socket_fds(self):
        """How many socket file descriptors the exporter holds."""
        d = "/proc/%d/fd" % self.proc.pid
        n = 0
        for fd in os.listdir(d):
            try:
                n += os.readlink(os.path.join(d, fd)).startswith("socket:")
            except OSError:
                pass
        return n


class TableTestCase(unittest.TestCase):
    maxDiff = None

    def assert_promtool_clean(self, m):
        """promtool check metrics finds nothing to say about the exposition."""
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool is not installed (Debian package prometheus)")
        p = run([promtool, "check", "metrics"], input=m.text, check=False)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))

    def setUp(self):
        if os.geteuid() != 0:
            raise RuntimeError("the privileged integration tests need root")
        if not os.access(EXPORTER, os.X_OK):
            raise RuntimeError("no exporter binary at %s (set NFCT_EXPORTER)" % EXPORTER)
        self.lab = Lab(self)

    def exporter(self, netns, **extra):
        return Exporter(self, netns, extra)


# ------------------------------------------------------------------ an FTP expectation

FTP_HELPER_RULES = """
table ip nfct_tbl_ftp {
  ct helper ftp-standard { type "ftp" protocol tcp; }
  chain out {
    type filter hook output priority 0; policy accept;
    tcp dport 21 ct helper set "ftp-standard"
  }
}
"""

# argv: addr. Answers USER and PORT, then holds the connection until stdin closes.
FTP_SERVER = r"""
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 21))
l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
f = c.makefile("rb")
c.sendall(b"220 nfct\r\n")
f.readline()
c.sendall(b"331 ok\r\n")
f.readline()
c.sendall(b"200 PORT ok\r\n")
sys.stdin.read()
"""

# argv: server_addr my_addr. Announces a data port with PORT (the helper then expects a
# connection to it), prints "ready" and holds the control connection until stdin closes.
FTP_CLIENT = r"""
import socket, sys
server, me = sys.argv[1], sys.argv[2]
c = socket.create_connection((server, 21), timeout=10)
f = c.makefile("rb")
assert f.readline().startswith(b"220")
c.sendall(b"USER x\r\n")
assert f.readline().startswith(b"331")
c.sendall(("PORT %s,%d,%d\r\n" % (me.replace(".", ","), 40000 >> 8, 40000 & 255)).encode())
assert f.readline().startswith(b"200")
print("ready", flush=True)
sys.stdin.read()
"""
