"""Shared helpers for nfct_exporter's privileged integration tests.

Every test builds its own network namespaces (named ``nfct-t-<pid>-<n>-<tag>``), joins
them with veth pairs in 10.213.0.0/16, switches IPv6 off on the veths so that no stray
packet is counted, loads nftables rules inside those namespaces only, and starts its own
exporter on a free loopback port. Everything is undone by ``addCleanup`` even when the
test fails: the exporter and helper processes are killed, the namespaces deleted.

Nothing here sleeps to synchronise: ``wait_for`` polls a condition against a deadline.

Oracles: nftables counters placed at the same hooks as the exporter's probes (input and
postrouting, after NAT) count the same packets with the same conntrack matches, so the
exporter's series can be compared with them exactly (``OracleSpec``).
"""

import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("NFCT_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORTER = os.environ.get("NFCT_EXPORTER") or os.path.join(SOURCE_DIR, "build", "nfct_exporter")

DEFAULT_PROBES = ["nf:ipv4:input", "nf:ipv4:postrouting", "nf:ipv6:input", "nf:ipv6:postrouting"]
IPV4_PROBES = ["nf:ipv4:input", "nf:ipv4:postrouting"]

# The exporter's `state` label, as nft matches for the same packets at the same hook.
STATES = ["new", "established", "related", "reply", "related_reply", "untracked"]
STATE_MATCH = {
    "new": "ct state new",
    "established": "ct state established ct direction original",
    "reply": "ct state established ct direction reply",
    "related": "ct state related ct direction original",
    "related_reply": "ct state related ct direction reply",
    "untracked": "ct state untracked",
}
# Status bits nft can express (`nft describe ct status`), by the exporter's `bit` label.
BIT_MATCH = {
    "expected": "ct status expected",
    "seen_reply": "ct status seen-reply",
    "assured": "ct status assured",
    "confirmed": "ct status confirmed",
    "src_nat": "ct status snat",
    "dst_nat": "ct status dnat",
    "dying": "ct status dying",
}
# A packet without any conntrack entry: nft calls that state "invalid".
NO_CT_MATCH = "ct state invalid"

PREFIX = "nfct-t-%d-" % os.getpid()
_seq = itertools.count()


# --------------------------------------------------------------------------- processes

def run(cmd, *, check=True, input=None, timeout=30, env=None):
    """Runs cmd (a list), returns the CompletedProcess (text). check: rc 0 or AssertionError."""
    try:
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("timed out after %ss: %s\nstdout: %s\nstderr: %s"
                             % (timeout, " ".join(cmd), e.stdout, e.stderr)) from None
    if check and p.returncode != 0:
        raise AssertionError("command failed (rc %d): %s\nstdout: %s\nstderr: %s"
                             % (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p


def wait_for(fn, timeout=10.0, interval=0.05, what="condition"):
    """Polls fn() until it returns a truthy value (returned) or the deadline passes.

    fn may return a (ok, detail) pair: detail is shown when the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        v = fn()
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], bool):
            ok, last = v
            if ok:
                return last
        elif v:
            return v
        else:
            last = v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s; last: %s" % (timeout, what, last))
        time.sleep(interval)


_swept = False


def check_environment():
    global _swept
    if os.geteuid() != 0:
        raise RuntimeError("the privileged integration tests need root (BPF, network namespaces)")
    if not os.access(EXPORTER, os.X_OK):
        raise RuntimeError("no exporter binary at %s (set NFCT_EXPORTER)" % EXPORTER)
    if not _swept:
        _swept = True
        sweep_stale_namespaces()


def sweep_stale_namespaces():
    """Deletes namespaces left by an earlier run of these tests that was killed before its
    cleanups ran: only nfct-t-<pid>-* of a pid that no longer exists."""
    try:
        names = os.listdir("/run/netns")
    except FileNotFoundError:
        return
    for name in names:
        m = re.match(r"^nfct-t-(\d+)-", name)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            run(["ip", "netns", "del", name], check=False)


def http_get_from(port, path, source, timeout=5):
    """GET path on the exporter at 127.0.0.1:port from the local address `source` (a raw
    socket bound to it, asking the server to close after the answer); returns (status,
    body). For tests that need the client address: connection limits count per address."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
        data = read_to_eof(s)
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode()


def read_to_eof(s):
    """Everything s receives until the peer closes."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- namespaces

class Netns:
    """A named network namespace (/run/netns/NAME) made by a Lab."""

    def __init__(self, name):
        self.name = name
        self.path = "/run/netns/" + name

    @property
    def inode(self):
        return os.stat(self.path).st_ino

    @property
    def label(self):
        """The exporter's `netns` label for this namespace."""
        return str(self.inode)

    def exists(self):
        return os.path.exists(self.path)

    def cmd(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def run(self, argv, **kw):
        return run(self.cmd(argv), **kw)

    def python(self, script, *args, **kw):
        return self.run(["python3", "-c", script] + [str(a) for a in args], **kw)

    def nft(self, ruleset):
        self.run(["nft", "-f", "-"], input=ruleset)

    def sysctl(self, key, value):
        self.run(["sysctl", "-qw", "%s=%s" % (key, value)])

    def counters(self, table, family="ip"):
        """{name: (packets, bytes)} of the named counters of an nft table."""
        out = self.run(["nft", "-j", "list", "counters", "table", family, table]).stdout
        result = {}
        for item in json.loads(out)["nftables"]:
            c = item.get("counter")
            if c:
                result[c["name"]] = (c["packets"], c["bytes"])
        return result

    def __repr__(self):
        return "Netns(%s)" % self.name


class Lab:
    """Namespaces, veths and helper processes of one test, removed by the test's cleanups."""

    netns_class = Netns  # a harness built on this one may use a Netns with more oracles
    prefix = PREFIX

    def __init__(self, test):
        self.test = test
        self._subnets = itertools.count(1)

    def netns(self, tag, create=True):
        """A namespace of this test; create=False only names it (create() makes it later)."""
        ns = self.netns_class("%s%d-%s" % (self.prefix, next(_seq), tag))
        self.test.addCleanup(self.delete, ns)
        if create:
            self.create(ns)
        return ns

    def create(self, ns):
        run(["ip", "netns", "add", ns.name])
        # Interfaces made from now on start without IPv6 (no router solicitations, no DAD,
        # no MLD); lo already exists and keeps ::1.
        ns.sysctl("net.ipv6.conf.default.disable_ipv6", 1)
        ns.run(["ip", "link", "set", "lo", "up"])

    def delete(self, ns):
        if ns.exists():
            run(["ip", "netns", "del", ns.name], check=False)

    def veth(self, a, b, if_a="veth0", if_b="veth0"):
        """Links a and b with a veth pair made directly inside them, in a /24 of its own
        (10.213.N.0/24, a is .1, b is .2); returns (addr_a, addr_b)."""
        subnet = next(self._subnets)
        run(["ip", "link", "add", if_a, "netns", a.name, "type", "veth", "peer", "name", if_b,
             "netns", b.name])
        addrs = []
        for ns, ifname, host in ((a, if_a, 1), (b, if_b, 2)):
            addr = "10.213.%d.%d" % (subnet, host)
            ns.sysctl("net.ipv6.conf.%s.disable_ipv6" % ifname, 1)
            ns.run(["ip", "addr", "add", addr + "/24", "dev", ifname])
            ns.run(["ip", "link", "set", ifname, "up"])
            addrs.append(addr)
        return tuple(addrs)

    def background(self, ns, script, *args, ready=True, stdin=False):
        """Starts a python script in ns; waits for its first output line "ready". With
        stdin=True the script gets a pipe, closed when the test reaps it (a script can
        block on sys.stdin.read() to stay alive until then)."""
        p = subprocess.Popen(ns.cmd(["python3", "-u", "-c", script] + [str(a) for a in args]),
                             stdin=subprocess.PIPE if stdin else None,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.test.addCleanup(reap, p)
        if ready:
            line = p.stdout.readline()
            if line.strip() != "ready":
                reap(p)
                raise AssertionError("helper in %s did not start: %r %s" % (ns.name, line, p.stderr.read()))
        return p


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL if proc has not ended within timeout seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def reap(p):
    if p.poll() is None:
        p.kill()
    try:
        p.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass


def finish(p, timeout=20):
    """Waits for a background helper; returns its stdout; fails on a non-zero exit."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError("helper timed out: %s %s" % (out, err))
    if p.returncode != 0:
        raise AssertionError("helper failed (rc %d): %s %s" % (p.returncode, out, err))
    return out


# --------------------------------------------------------------------------- traffic

def ping(ns, addr, count, family=4):
    ns.run(["ping", "-%d" % family, "-n", "-q", "-c", str(count), "-i", "0.01", "-W", "1", addr])


# argv: dst port count expect_reply(0/1) size src_port(0 = any)
UDP_CLIENT = r"""
import socket, sys
dst, port, count, expect, size, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sport:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", sport))
s.settimeout(10)
for i in range(count):
    s.sendto(b"u" * size, (dst, port))
    if expect:
        s.recvfrom(65536)
"""

# argv: addr port count. Echoes `count` datagrams back to their sender.
UDP_ECHO = r"""
import socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(30)
print("ready", flush=True)
for i in range(count):
    data, peer = s.recvfrom(65536)
    s.sendto(data, peer)
"""


def udp_send(ns, dst, port, count, expect_reply=False, size=32, src_port=0):
    ns.python(UDP_CLIENT, dst, port, count, int(expect_reply), size, src_port)


# argv: addr port. Accepts one connection, reads to EOF, answers the byte count, closes.
TCP_SERVER = r"""
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((addr, port))
l.listen(1)
l.settimeout(30)
print("ready", flush=True)
c, _ = l.accept()
c.settimeout(30)
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
c.sendall(str(n).encode())
c.close()
print(n, flush=True)
"""

# argv: addr port nbytes. Sends nbytes, half-closes, prints the server's answer.
TCP_CLIENT = r"""
import socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = socket.create_connection((addr, port), timeout=30)
c.sendall(b"t" * n)
c.shutdown(socket.SHUT_WR)
answer = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    answer += d
c.close()
print(answer.decode())
"""


def tcp_exchange(lab, client, server, server_addr, port, nbytes):
    srv = lab.background(server, TCP_SERVER, server_addr, port)
    answer = client.python(TCP_CLIENT, server_addr, port, nbytes).stdout.strip()
    assert answer == str(nbytes), "TCP server received %r bytes, expected %d" % (answer, nbytes)
    finish(srv)


# A minimal active-mode FTP exchange: the server (argv: addr) connects back from port 20
# to the address and port the client announces with PORT.
FTP_SERVER = r"""
import socket, sys
addr = sys.argv[1]
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((addr, 21))
l.listen(1)
l.settimeout(30)
print("ready", flush=True)
c, _ = l.accept()
c.settimeout(30)
f = c.makefile("rb")
c.sendall(b"220 nfct test\r\n")
f.readline()
c.sendall(b"331 ok\r\n")
cmd = f.readline().split()
assert cmd[0] == b"PORT", cmd
p = cmd[1].decode().split(",")
c.sendall(b"200 PORT ok\r\n")
d = socket.socket()
d.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
d.bind((addr, 20))
d.settimeout(30)
d.connect((".".join(p[:4]), int(p[4]) * 256 + int(p[5])))
d.sendall(b"data" * 256)
d.close()
c.sendall(b"226 done\r\n")
f.readline()
c.sendall(b"221 bye\r\n")
c.close()
"""

# argv: server_addr my_addr
FTP_CLIENT = r"""
import socket, sys
server, me = sys.argv[1], sys.argv[2]
l = socket.socket()
l.bind((me, 0))
l.listen(1)
l.settimeout(30)
port = l.getsockname()[1]
c = socket.create_connection((server, 21), timeout=30)
f = c.makefile("rb")
def expect(code):
    line = f.readline()
    assert line.startswith(code), line
expect(b"220")
c.sendall(b"USER x\r\n")
expect(b"331")
c.sendall(("PORT %s,%d,%d\r\n" % (me.replace(".", ","), port >> 8, port & 255)).encode())
expect(b"200")
d, _ = l.accept()
d.settimeout(30)
n = 0
while True:
    b = d.recv(65536)
    if not b:
        break
    n += len(b)
d.close()
expect(b"226")
c.sendall(b"QUIT\r\n")
expect(b"221")
c.close()
print(n)
"""

FTP_HELPER_RULES = """
table ip nfct_ftp {
  ct helper ftp-standard { type "ftp" protocol tcp; }
  chain out {
    type filter hook output priority 0; policy accept;
    tcp dport 21 ct helper set "ftp-standard"
  }
}
"""


def ftp_exchange(lab, client, client_addr, server, server_addr):
    """Client needs FTP_HELPER_RULES loaded for the data connection to be `related`."""
    srv = lab.background(server, FTP_SERVER, server_addr)
    n = client.python(FTP_CLIENT, server_addr, client_addr).stdout.strip()
    assert n == "1024", "FTP data connection carried %r bytes" % n
    finish(srv)


# --------------------------------------------------------------------------- nft oracle

def conntrack_on(ns, family="ip"):
    """The lab's recipe: conntrack is active in a namespace once a rule uses it."""
    ns.nft("""
table %s nfct_ct {
  chain in {
    type filter hook input priority 0; policy accept;
    ct state new accept
  }
}
""" % family)


class OracleSpec:
    """nft counters at input and postrouting for every state, bit and (optionally) zone.

    The chains run at `priority` (after NAT at 100, before the exporter at INT_MAX - 2);
    conntrack changes nothing in between for the same packet."""

    TABLE = "nfct_oracle"
    HOOKS = ("input", "postrouting")

    def __init__(self, zones=(), priority=300):
        self.zones = tuple(zones)
        self.priority = priority

    def counter_names(self, hook):
        names = {"all": "%s_all" % hook, "no_ct": "%s_no_ct" % hook}
        for s in STATES:
            names["state:" + s] = "%s_state_%s" % (hook, s)
        for b in BIT_MATCH:
            names["bit:" + b] = "%s_bit_%s" % (hook, b)
        for z in self.zones:
            for s in STATES:
                if s != "untracked":
                    names["zone:%d:%s" % (z, s)] = "%s_zone%d_%s" % (hook, z, s)
        return names

    def matches(self, key):
        kind, _, rest = key.partition(":")
        if kind == "all":
            return ""
        if kind == "no_ct":
            return NO_CT_MATCH
        if kind == "state":
            return STATE_MATCH[rest]
        if kind == "bit":
            return BIT_MATCH[rest]
        zone, state = rest.split(":")
        return "ct zone %s %s" % (zone, STATE_MATCH[state])

    def ruleset(self):
        lines = ["table ip %s {" % self.TABLE]
        for hook in self.HOOKS:
            for name in self.counter_names(hook).values():
                lines.append("  counter %s { }" % name)
        for hook in self.HOOKS:
            lines.append("  chain %s {" % hook)
            lines.append("    type filter hook %s priority %d; policy accept;" % (hook, self.priority))
            for key, name in self.counter_names(hook).items():
                lines.append("    %s counter name \"%s\"" % (self.matches(key), name))
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def install(self, ns):
        ns.nft(self.ruleset())

    def read(self, ns):
        return ns.counters(self.TABLE)

    def mismatches(self, metrics, ns, counters, with_bytes=True):
        """Differences between the exporter's series for ns and the nft counters."""
        out = []
        label = ns.label
        for hook in self.HOOKS:
            probe = "nf:ipv4:" + hook
            names = self.counter_names(hook)

            def cmp(what, got, want):
                if got != want:
                    out.append("%s %s %s: exporter %s, nft %s" % (ns.name, probe, what, got, want))

            for s in STATES:
                pk, by = counters[names["state:" + s]]
                cmp("packets state=" + s, metrics.get("nfct_packets_total", probe=probe, netns=label, state=s), pk)
                if with_bytes:
                    cmp("bytes state=" + s, metrics.get("nfct_bytes_total", probe=probe, netns=label, state=s), by)
            for b in BIT_MATCH:
                cmp("bit=" + b, metrics.get("nfct_status_packets_total", probe=probe, netns=label, bit=b),
                    counters[names["bit:" + b]][0])
            cmp("no conntrack", metrics.get("nfct_no_conntrack_packets_total", probe=probe, netns=label),
                counters[names["no_ct"]][0])
            total = metrics.sum("nfct_packets_total", probe=probe, netns=label) + \
                metrics.get("nfct_no_conntrack_packets_total", probe=probe, netns=label)
            cmp("all packets", total, counters[names["all"]][0])
            for z in self.zones:
                for s in STATES:
                    if s == "untracked":
                        continue
                    got = metrics.sum("nfct_zone_packets_total", probe=probe, netns=label, zone=str(z), state=s)
                    cmp("zone=%d state=%s" % (z, s), got, counters[names["zone:%d:%s" % (z, s)]][0])
        return out


def assert_matches_oracle(exporter, oracle, namespaces, timeout=10.0, with_bytes=True):
    """Polls until the exporter's series equal the nft counters in every namespace, with the
    counters unchanged over two readings at least 0.2 s apart (no packet still in flight).
    Returns the last (metrics, {ns: counters})."""
    state = {"stable_since": None, "prev": None}

    def check():
        before = {ns.name: oracle.read(ns) for ns in namespaces}
        metrics = exporter.scrape()
        after = {ns.name: oracle.read(ns) for ns in namespaces}
        if before != after:
            state["prev"] = None
            return False, "nft counters still moving"
        diffs = []
        for ns in namespaces:
            diffs += oracle.mismatches(metrics, ns, after[ns.name], with_bytes=with_bytes)
        if diffs:
            state["prev"] = None
            return False, "\n  " + "\n  ".join(diffs)
        now = time.monotonic()
        if state["prev"] != after:
            state["prev"], state["stable_since"] = after, now
            return False, "matching, waiting for the counters to stay still"
        if now - state["stable_since"] < 0.2:
            return False, "matching, waiting for the counters to stay still"
        return True, (metrics, after)

    return wait_for(check, timeout=timeout, what="exporter series == nft counters")


# --------------------------------------------------------------------------- metrics

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def _unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


class Metrics:
    """Parsed Prometheus text exposition."""

    def __init__(self, text):
        self.text = text
        self.samples = []  # (name, {label: value}, float)
        self.types = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    self.types[parts[2]] = parts[3].strip()
                continue
            m = _SAMPLE.match(line)
            if not m:
                raise AssertionError("unparsable metrics line: %r" % line)
            labels = {}
            body = m.group(2) or ""
            pos = 0
            while pos < len(body):
                lm = _LABEL.match(body, pos)
                if not lm:
                    raise AssertionError("unparsable labels in line: %r" % line)
                labels[lm.group(1)] = _unescape(lm.group(2))
                pos = lm.end()
            self.samples.append((m.group(1), labels, float(m.group(3))))

    def select(self, name, **labels):
        """[(labels, value)] of the samples of `name` whose labels include `labels`."""
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(w) for k, w in labels.items())]

    def value(self, name, **labels):
        """The one sample matching, or None when there is none."""
        found = self.select(name, **labels)
        if len(found) > 1:
            raise AssertionError("%d samples of %s match %s" % (len(found), name, labels))
        return found[0][1] if found else None

    def get(self, name, **labels):
        """Like value(), 0 when absent (a counter series that has not appeared yet)."""
        v = self.value(name, **labels)
        return 0 if v is None else int(v) if float(v).is_integer() else v

    def sum(self, name, **labels):
        return int(sum(v for _, v in self.select(name, **labels)))

    def by(self, name, key, **labels):
        """{labels[key]: value} of the matching samples."""
        return {l[key]: int(v) for l, v in self.select(name, **labels)}

    def netns_labels(self, name):
        return {l["netns"] for l, _ in self.select(name) if "netns" in l}


# --------------------------------------------------------------------------- exporter

def yaml_config(cfg):
    """A small YAML emitter for the config's dicts, lists and scalars."""
    def scalar(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v) if isinstance(v, str) else str(v)

    def emit(obj, indent):
        lines = []
        for k, v in obj.items():
            if isinstance(v, dict):
                lines.append("%s%s:" % (indent, k))
                lines += emit(v, indent + "  ")
            elif isinstance(v, (list, tuple)):
                lines.append("%s%s:" % (indent, k))
                lines += ["%s  - %s" % (indent, scalar(x)) for x in v]
            else:
                lines.append("%s%s: %s" % (indent, k, scalar(v)))
        return lines

    return "\n".join(emit(cfg, "")) + "\n"


class Exporter:
    """One nfct_exporter process with its config in a temporary directory."""

    def __init__(self, test, config=None, config_text=None, args=(), listen_flag_form="=", prefix=()):
        """prefix: a command that runs the exporter (e.g. capsh as another user); the
        config directory is then readable by every user."""
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="nfct-t-")
        if prefix:
            os.chmod(self.dir, 0o755)
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.config_path = os.path.join(self.dir, "nfct_exporter.yaml")
        with open(self.config_path, "w") as f:
            f.write(config_text if config_text is not None else yaml_config(config or {}))
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "exporter.log")
        listen = "127.0.0.1:%d" % self.port
        listen_args = (["--web.listen-address=" + listen] if listen_flag_form == "="
                       else ["--web.listen-address", listen])
        self.argv = list(prefix) + [EXPORTER, "--config.file=" + self.config_path] + listen_args + list(args)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT)
        test.addCleanup(self.kill)

    def kill(self):
        stop_process(self.proc)
        self._log.close()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def request(self, path, method="GET", body=None, timeout=5):
        """(status, headers dict (lower-case names), body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def scrape(self, path="/metrics"):
        status, _, body = self.request(path)
        if status != 200:
            raise AssertionError("GET %s: %d %s" % (path, status, body))
        return Metrics(body)

    def _alive(self):
        rc = self.proc.poll()
        if rc is not None:
            raise AssertionError("exporter exited with %d:\n%s" % (rc, self.log()))

    def wait_ready(self, netns=(), probes=IPV4_PROBES, timeout=15):
        """Waits until /healthz is 200 and each probe is attached in each namespace."""
        def ready():
            self._alive()
            try:
                status, _, _ = self.request("/healthz", timeout=2)
                if status != 200:
                    return False, "healthz %d" % status
                m = self.scrape()
            except OSError as e:
                return False, "no HTTP yet: %s" % e
            missing = [(p, ns.name) for ns in netns for p in probes
                       if m.value("nfct_probe_attached", probe=p, netns=ns.label) != 1]
            if missing:
                log = self.log()
                hint = ("\n(EBUSY: another BPF netfilter hook sits at the same priority in that "
                        "namespace; is another nfct_exporter running with netns: all?)"
                        if "Device or resource busy" in log else "")
                return False, "not attached: %s%s\nlog:\n%s" % (missing, hint, log)
            return True, m

        return wait_for(ready, timeout=timeout, what="the exporter to be ready")

    def wait_counts(self, expected, timeout=10):
        """expected: {(metric, frozenset(labels.items())): value}. Polls until every value
        is reached exactly, then checks that it stays so. Returns the last Metrics."""
        def diff(m):
            return ["%s%s: %s, want %s" % (n, dict(l), m.get(n, **dict(l)), v)
                    for (n, l), v in expected.items() if m.get(n, **dict(l)) != v]

        def reached():
            m = self.scrape()
            d = diff(m)
            return (not d), (m if not d else "\n  " + "\n  ".join(d))

        wait_for(reached, timeout=timeout, what="exact counts")
        # The values must also stay there: no late or double counting.
        end = time.monotonic() + 0.3
        while True:
            m = self.scrape()
            d = diff(m)
            if d:
                raise AssertionError("counts moved after reaching the expected values:\n  " + "\n  ".join(d))
            if time.monotonic() >= end:
                return m
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("exporter did not exit within %ss after signal %d" % (timeout, sig))

    def bpf_objects(self):
        """({prog ids}, {link ids}) held by the exporter's file descriptors."""
        return fd_bpf_objects(self.proc.pid)


def key(metric, **labels):
    return (metric, frozenset((k, str(v)) for k, v in labels.items()))


# --------------------------------------------------------------------------- bpf objects

def fd_bpf_objects(pid):
    """({prog ids}, {link ids}) referenced by the fds of one process (/proc/PID/fdinfo)."""
    progs, links = set(), set()
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                info = f.read()
        except OSError:
            continue
        m = re.search(r"^link_id:\s*(\d+)", info, re.M)
        if m:
            links.add(int(m.group(1)))
            continue
        m = re.search(r"^prog_id:\s*(\d+)", info, re.M)
        if m:
            progs.add(int(m.group(1)))
    return progs, links


def bpftool_progs():
    """{id: name} of every loaded BPF program."""
    out = run(["bpftool", "-j", "prog", "show"]).stdout
    return {p["id"]: p.get("name", "") for p in json.loads(out or "[]")}


def bpftool_links():
    """{link id: prog id} of every BPF link."""
    out = run(["bpftool", "-j", "link", "show"]).stdout
    return {l["id"]: l.get("prog_id") for l in json.loads(out or "[]")}


def nfct_prog_ids():
    return {i for i, n in bpftool_progs().items() if n in ("nfct_nf", "nfct_tp", "nfct_drop")}


def owned_prog_ids():
    """Program ids that some live process holds an fd of (prog or link)."""
    owned, links = set(), set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            p, l = fd_bpf_objects(int(pid))
        except OSError:
            continue
        owned |= p
        links |= l
    if links:
        link_progs = bpftool_links()
        owned |= {link_progs.get(l) for l in links}
    return owned


def wait_no_leaked_programs(before, timeout=5):
    """Waits until every nfct program not in `before` is held by a live process (another
    exporter); anything else was left behind. Freeing after exit is asynchronous."""
    def check():
        new = nfct_prog_ids() - before
        leaked = new - owned_prog_ids() if new else set()
        linked = {l: p for l, p in bpftool_links().items() if p in leaked}
        return (not leaked), "programs %s left loaded, links %s" % (sorted(leaked), linked)

    wait_for(check, timeout=timeout, what="no nfct BPF program left behind")


class NfctTestCase(unittest.TestCase):
    maxDiff = None
    SLOTS = None  # maps.slots for every exporter of the test; None: the default

    def setUp(self):
        check_environment()
        self.lab = Lab(self)

    def exporter(self, netns=None, probes=None, ready=True, wait_probes=IPV4_PROBES, extra=None,
                 by_path=(), **kw):
        """An exporter for netns ("all" or a list of Netns, named in the config by name, or
        by path for those in by_path), waiting until wait_probes are attached in them."""
        cfg = {}
        if probes is not None:
            cfg["probes"] = probes
        if netns is not None:
            cfg["netns"] = netns if netns == "all" else [n.path if n in by_path else n.name for n in netns]
        cfg.update(extra or {})
        # A test class may pin maps.slots (SLOTS = 0: every key through the hash; 1: slot
        # collisions on every second key) to run the same checks over each counting path.
        if getattr(self, "SLOTS", None) is not None:
            cfg["maps"] = dict(cfg.get("maps") or {}, slots=self.SLOTS)
        e = Exporter(self, config=cfg, **kw)
        if ready:
            e.wait_ready(netns=[] if netns in (None, "all") else netns, probes=wait_probes)
        return e
