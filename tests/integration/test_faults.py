"""Faults the exporter works around and counts, rather than stopping on: a namespace's
ctnetlink socket that receives forged datagrams or fails, and /proc entries that vanish
while the namespaces are scanned.

ctnetlink: a process with CAP_NET_ADMIN in a watched namespace (root in the test
namespace here) may send datagrams to the exporter's netlink socket there. The test finds
that socket in the namespace's /proc/net/netlink (by the socket inode the exporter holds)
and writes to it:

- forged answers (a complete fake statistics answer, a fake end of dump, lengths of 2^31
  and near 2^32, random bytes): each is dropped unread and counted as
  nfct_exporter_ctnetlink_errors_total{reason="foreign"}, exactly, and the table
  statistics stay equal to conntrack -C / -S;
- enough datagrams to fill its receive buffer: the kernel then drops its answer to the
  next request and the socket reports ENOBUFS, a real kernel-level fault. That scrape
  shows the namespace unread and counts reason="receive" once; the other namespace, the
  packet counters and the next scrape (on a new socket) are exact.

/proc: zombie processes (exited, not reaped) are listed by readdir() but their ns/net
is gone (ENOENT): a deterministic form of "exited between listing and reading", counted
in nfct_exporter_proc_vanished_total{file="ns/net"} on every rescan. With processes and
namespaces churning as fast as they can next to them, the info series of the long-lived
namespaces stay exact, no counter goes backwards, and nothing is logged. (Falling back to a
namespace's next lowest PID when the lowest exits mid-read is covered by the unit tests on
a fake /proc, tests/unit/netns/test_proc_vanished.cpp: that race cannot be timed here.)
"""

import os
import re
import signal
import time
import unittest

import nfct_harness
from table_harness import UDP_SPRAY, TableTestCase, wait_for
from test_table_stats import Oracle, exporter_view

NETLINK_NETFILTER = 12

# argv: portid mode. Sends datagrams to that netlink port of the namespace it runs in and
# prints how many it sent. mode "forge": 7 forged answers; mode "fill": 16-byte datagrams
# without waiting until the receiver's buffer is full.
FORGER = r"""
import os, socket, struct, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
CT = 1 << 8  # NFNL_SUBSYS_CTNETLINK

def msg(mtype, payload=b"", flags=0, length=None):
    # Sequence number 0 and port 0: the reply walk accepts those for any request.
    body = struct.pack("=IHHII", length if length is not None else 16 + len(payload), mtype, flags, 0, 0) + payload
    return body + b"\0" * (-len(body) % 4)

def attr(atype, value):
    return struct.pack("=HH", 8, atype) + struct.pack("!I", value)

nfgen = struct.pack("=BBH", 0, 0, 0)
if mode == "forge":
    datagrams = [
        # A whole answer to the table size request: 123456789 entries, then the ACK.
        msg(CT | 4, nfgen + attr(1, 123456789) + attr(2, 7)) + msg(2, b"\0" * 36),
        # A per-CPU statistics row (found = 999999) and a fake end of the dump.
        msg(CT | 5, nfgen + attr(2, 999999), flags=2),
        msg(3, struct.pack("=i", 0)),
        # Lengths the reply walk must not trust.
        msg(CT | 5, nfgen, length=0x80000000),
        msg(CT | 5, nfgen, length=0xfffffffd),
        # An error, and noise.
        msg(2, struct.pack("=i", -1) + b"\0" * 32),
        os.urandom(1000),
    ]
    for d in datagrams:
        s.sendto(d, (port, 0))
    print(len(datagrams))
else:
    s.setblocking(False)
    sent = 0
    while True:
        try:
            s.sendto(msg(CT | 4, nfgen), (port, 0))
            sent += 1
        except BlockingIOError:
            break
    print(sent)
"""


def netlink_sockets(ns):
    """{inode: {"port", "rmem", "drops"}} of the NETLINK_NETFILTER sockets in ns."""
    out = {}
    lines = ns.run(["cat", "/proc/net/netlink"]).stdout.splitlines()
    for line in lines[1:]:
        f = line.split()
        if len(f) >= 10 and int(f[1]) == NETLINK_NETFILTER:
            out[int(f[9])] = {"port": int(f[2]), "rmem": int(f[4]), "drops": int(f[8])}
    return out


def socket_inodes(pid):
    inodes = set()
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(os.path.join(d, fd)))
        except OSError:
            continue
        if m:
            inodes.add(int(m.group(1)))
    return inodes


def ct_errors(m):
    return {r: m.value("nfct_exporter_ctnetlink_errors_total", reason=r)
            for r in ("foreign", "malformed", "kernel", "interrupted", "receive", "send", "timeout", "open")}


def assert_clean_exit(test, proc, log):
    """SIGTERM ends the exporter with status 0: under the sanitizer pass, also no leak and
    no sanitizer report (either makes the status non-zero)."""
    proc.send_signal(signal.SIGTERM)
    test.assertEqual(proc.wait(timeout=20), 0, log())


class CtnetlinkFaultTest(TableTestCase):

    def exporter_socket(self, ex, ns):
        """The exporter's one ctnetlink socket in ns: (inode, its /proc/net/netlink row)."""
        mine = socket_inodes(ex.proc.pid)
        rows = {i: r for i, r in netlink_sockets(ns).items() if i in mine}
        self.assertEqual(len(rows), 1, "the exporter's netfilter netlink sockets in %s: %s" % (ns.name, rows))
        return next(iter(rows.items()))

    def assert_table_exact(self, ex, ns):
        """One scrape agrees exactly with conntrack -C and -S read before and after it."""
        oracle = Oracle(ns)

        def same_moment():
            before = oracle.read()
            m = ex.scrape()
            after = oracle.read()
            return before == after, (m, before)

        m, want = wait_for(same_moment, what="a quiet table in %s" % ns.name)
        self.assertEqual(exporter_view(m, ns, want), want, ns.name)
        self.assertEqual(m.value("nfct_table_read_success", netns=ns.label), 1)
        return m

    def test_forged_datagrams_are_dropped_and_counted(self):
        a = self.lab.netns("forged")
        a.python(UDP_SPRAY, "127.0.0.1", 9000, 5)  # entries and statistics that are not all 0
        ex = self.exporter([a])
        m0 = ex.scrape()
        self.assertEqual(ct_errors(m0), dict.fromkeys(ct_errors(m0), 0))
        inode, row = self.exporter_socket(ex, a)
        self.assertEqual(row["rmem"], 0)

        sent = int(a.python(FORGER, row["port"], "forge").stdout)
        self.assertEqual(sent, 7)
        # They reached the socket and wait there until the next scrape reads it.
        self.assertGreater(netlink_sockets(a)[inode]["rmem"], 0)

        m1 = ex.scrape()
        want = dict.fromkeys(ct_errors(m0), 0)
        want["foreign"] = sent
        self.assertEqual(ct_errors(m1), want)
        self.assertEqual(m1.value("nfct_table_read_success", netns=a.label), 1)
        self.assertEqual(m1.value("nfct_table_read_errors_total"), 0)
        self.assertEqual(netlink_sockets(a)[inode]["rmem"], 0)  # all read, nothing left behind
        # The forged values (123456789 entries, found 999999) are nowhere: the numbers are
        # conntrack's own, on the same socket.
        m2 = self.assert_table_exact(ex, a)
        self.assertEqual(self.exporter_socket(ex, a)[0], inode)
        self.assertEqual(ct_errors(m2), want)
        self.assertNotIn("malformed", ex.log())
        assert_clean_exit(self, ex.proc, ex.log)

    def test_a_full_receive_buffer_fails_one_read_and_the_next_scrape_recovers(self):
        a, b = self.lab.netns("full"), self.lab.netns("other")
        for ns in (a, b):
            ns.python(UDP_SPRAY, "127.0.0.1", 9000, 3)
        ex = self.exporter([a, b])
        packets = dict(name="nfct_packets_total", probe="nf:ipv4:input", netns=a.label, state="new")
        base = ex.scrape().value(**packets) or 0  # no series before the first packet
        inode, row = self.exporter_socket(ex, a)

        # Counting goes on whatever happens to ctnetlink: 4 new flows before the fault.
        a.python(UDP_SPRAY, "127.0.0.1", 9100, 4)
        wait_for(lambda: ex.scrape().value(**packets) == base + 4, what="4 new packets counted")

        filled = int(a.python(FORGER, row["port"], "fill").stdout)
        self.assertGreater(filled, 0)
        drops = netlink_sockets(a)[inode]["drops"]
        m = ex.scrape()  # its request's answer finds the buffer full: ENOBUFS
        self.assertEqual(m.value("nfct_table_read_success", netns=a.label), 0)
        self.assertEqual(m.value("nfct_table_read_success", netns=b.label), 1)
        self.assertEqual(m.value("nfct_table_read_errors_total"), 1)
        want = dict.fromkeys(ct_errors(m), 0)
        want["receive"] = 1
        self.assertEqual(ct_errors(m), want)
        self.assertIsNone(m.value("nfct_table_entries", netns=a.label))
        self.assertEqual(m.value("nfct_table_entries", netns=b.label), b.ct_count())
        self.assertEqual(m.value(**packets), base + 4)
        # The kernel's own account: it dropped its answer to the exporter's socket.
        self.assertGreater(netlink_sockets(a)[inode]["drops"], drops)
        self.assertIn("No buffer space available", ex.log())

        # The next scrape opens a new socket (the old one and its queue of junk are closed)
        # and is exact again; the fault is not counted twice.
        a.python(UDP_SPRAY, "127.0.0.1", 9200, 2)
        wait_for(lambda: ex.scrape().value(**packets) == base + 6, what="2 more new packets counted")
        m = self.assert_table_exact(ex, a)
        new_inode, _ = self.exporter_socket(ex, a)
        self.assertNotEqual(new_inode, inode)
        self.assertNotIn(inode, netlink_sockets(a))
        self.assertEqual(ct_errors(m), want)
        self.assertEqual(m.value("nfct_table_read_errors_total"), 1)
        assert_clean_exit(self, ex.proc, ex.log)


# argv: zombies. Makes that many children that exit at once and are never reaped (their
# /proc directories stay, their ns/net is gone), says ready and waits to be killed.
ZOMBIE_PARENT = r"""
import os, signal, sys, time
signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # an inherited SIG_IGN would reap them
kids = []
for _ in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    kids.append(pid)
print("ready", flush=True)
print(" ".join(map(str, kids)), flush=True)
time.sleep(600)
"""

# argv: seconds unshare_every. Forks short-lived children as fast as it can for that long
# (reaped at once); every unshare_every-th child first makes a network namespace of its
# own, which goes with it. Prints the number of children.
CHURN = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
end, every, n = time.monotonic() + float(sys.argv[1]), int(sys.argv[2]), 0
print("ready", flush=True)
while time.monotonic() < end:
    n += 1
    pid = os.fork()
    if pid == 0:
        if n % every == 0:
            libc.unshare(CLONE_NEWNET)
        os._exit(0)
    os.waitpid(pid, 0)
print(n)
"""

ZOMBIES = 20
CHURN_SECONDS = 5


class ProcVanishedTest(nfct_harness.NfctTestCase):

    def holder(self, ns):
        """A long-lived process in ns (the lowest PID there) with ZOMBIES zombie children."""
        p = self.lab.background(ns, ZOMBIE_PARENT, ZOMBIES)
        kids = [int(k) for k in p.stdout.readline().split()]
        self.assertEqual(len(kids), ZOMBIES)

        def state(pid):
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0]

        wait_for(lambda: [state(k) for k in kids] == ["Z"] * ZOMBIES, what="zombie children")
        return p

    def test_vanishing_proc_entries_are_counted_and_the_info_stays_exact(self):
        l1, l2 = self.lab.netns("long1"), self.lab.netns("long2")
        holders = {ns.name: self.holder(ns) for ns in (l1, l2)}
        # One namespace by its holder's /proc/PID/ns/net: with a /proc path in the list the
        # exporter keeps CAP_SYS_PTRACE, and with it reads other root processes' entries
        # (without it they are EACCES, which is not a vanished process).
        ex = self.exporter(probes=nfct_harness.IPV4_PROBES, ready=False,
                           extra={"netns_rescan_interval": "100ms",
                                  "netns": ["/proc/%d/ns/net" % holders[l1.name].pid, l2.name]})
        ex.wait_ready(netns=[l1, l2])
        log_lines = len(ex.log().splitlines())

        def info(m, ns):
            got = [labels for name, labels, value in m.samples
                   if name == "nfct_netns_info" and labels.get("netns") == ns.label and value == 1]
            return got

        want = {ns.name: {"netns": ns.label, "name": ns.name, "pid": str(holders[ns.name].pid),
                          "comm": "python3", "pod_uid": "", "container_id": ""} for ns in (l1, l2)}

        def vanished(m, f):
            return m.value("nfct_exporter_proc_vanished_total", file=f)

        # The zombies are skipped and counted on every rescan (at least ZOMBIES each; other
        # processes of the machine that exit meanwhile may add to it).
        # A rescan's walk comes before its count, and the two are read a moment apart in
        # a scrape: of the rescans counted between two scrapes, all but two walked wholly
        # in between.
        m0 = ex.scrape()
        r0, v0 = m0.value("nfct_netns_rescans_total"), vanished(m0, "ns/net")

        def rescanned():
            m = ex.scrape()
            return m.value("nfct_netns_rescans_total") >= r0 + 5, m

        m1 = wait_for(rescanned, what="5 rescans")
        r1, v1 = m1.value("nfct_netns_rescans_total"), vanished(m1, "ns/net")
        self.assertGreaterEqual(v1 - v0, 2 * ZOMBIES * (r1 - r0 - 2),
                                "ns/net vanished %s -> %s over rescans %s -> %s" % (v0, v1, r0, r1))

        # The churn runs in a namespace of its own that the exporter does not watch (every
        # /proc entry is walked all the same): PIDs wrap around (pid_max is often 32768), so
        # a short-lived process in L1 or L2 could briefly be the lowest PID there and rightly
        # change its info.
        churn_ns = self.lab.netns("churn")
        churners = [self.lab.background(churn_ns, CHURN, CHURN_SECONDS, 50) for _ in range(2)]
        previous, scrapes = None, 0
        end = time.monotonic() + CHURN_SECONDS
        while time.monotonic() < end:
            m = ex.scrape()
            scrapes += 1
            for ns in (l1, l2):
                self.assertEqual(info(m, ns), [want[ns.name]])
            counters = {(name, tuple(sorted(labels.items()))): value for name, labels, value in m.samples
                        if m.types.get(name) == "counter" or name.endswith("_total")}
            if previous:
                back = {k: (previous[k], v) for k, v in counters.items() if k in previous and v < previous[k]}
                self.assertEqual(back, {}, "counters went backwards")
            previous = counters
        children = sum(int(nfct_harness.finish(p, timeout=CHURN_SECONDS + 30).split()[-1]) for p in churners)
        m = ex.scrape()
        for ns in (l1, l2):
            self.assertEqual(info(m, ns), [want[ns.name]])
        after = {f: vanished(m, f) for f in ("ns/net", "comm", "cgroup")}
        print("\nchurn: %d short-lived processes in %.0f s, %d scrapes, %d rescans; vanished: %s"
              % (children, CHURN_SECONDS, scrapes, m.value("nfct_netns_rescans_total") - r1, after))
        self.assertGreater(children, 100)
        # Nothing logged for any of it: vanishing processes are normal, only counted.
        new_lines = ex.log().splitlines()[log_lines:]
        self.assertEqual([l for l in new_lines if " warning " in l or " error " in l], [])
        assert_clean_exit(self, ex.proc, ex.log)


if __name__ == "__main__":
    unittest.main()
