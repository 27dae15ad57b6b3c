"""Least privilege, measured: the exporter run by capsh as the unprivileged user `nobody`
with only the capabilities docs/security.md documents attaches, counts exactly and serves;
with any one of them taken away it either stops with a message naming the capability or
reports the feature as unavailable naming it. With the start-up check switched off
(NFCT_SKIP_CAP_CHECK=1, for this measurement only) the same runs show that the kernel
really refuses the feature without that capability. After start-up the exporter keeps
only its running set, in every thread.

Namespaces: listed by name (/run/netns, readable by anyone) and by /proc/PID/ns/net of a
root process (which `nobody` may open only with CAP_SYS_PTRACE).

The namespace info (nfct_netns_info) needs CAP_SYS_PTRACE in every configuration, names
only included: its PID and command come from stat()ing /proc/PID/ns/net of every process,
which the kernel refuses for a root process with more capabilities than the exporter."""

import os
import subprocess

from nfct_harness import (IPV4_PROBES, Exporter, NfctTestCase, conntrack_on, key, ping, reap, run,
                          wait_for)

IN, POST = "nf:ipv4:input", "nf:ipv4:postrouting"
# The documented set for namespaces by name and by /proc path with table statistics.
# CAP_BPF, CAP_PERFMON are not in it: the kernel accepts CAP_SYS_ADMIN, which setns()
# needs anyway, in their place (and in place of CAP_NET_ADMIN for the netfilter program;
# ctnetlink still needs CAP_NET_ADMIN itself).
DOCUMENTED = ["cap_sys_admin", "cap_net_admin", "cap_sys_ptrace"]
NARROW = ["cap_bpf", "cap_perfmon"]
CAP_BITS = {"cap_net_admin": 12, "cap_sys_ptrace": 19, "cap_sys_admin": 21, "cap_perfmon": 38, "cap_bpf": 39}


def as_nobody(caps, env_skip=False):
    """capsh prefix: user nobody with exactly `caps` (ambient, so they survive the exec)."""
    prefix = []
    if env_skip:
        prefix = ["env", "NFCT_SKIP_CAP_CHECK=1"]
    if not caps:
        return prefix + ["capsh", "--user=nobody", "--", "-c", 'exec "$0" "$@"']
    lst = ",".join(caps)
    return prefix + ["capsh", "--caps=%s+eip cap_setpcap,cap_setuid,cap_setgid+ep" % lst, "--keep=1",
                     "--user=nobody", "--addamb=" + lst, "--", "-c", 'exec "$0" "$@"']


def status_caps(path):
    """{CapEff, CapPrm, CapInh, CapAmb, Uid} of /proc/.../status as sets of cap names."""
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                bits = int(v.strip(), 16)
                out[k] = {n for n, b in CAP_BITS.items() if bits >> b & 1} | (
                    {"other"} if bits & ~sum(1 << b for b in CAP_BITS.values()) else set())
            elif k == "Uid":
                out[k] = int(v.split()[1])  # effective uid
    return out


def assert_threads(test, pid, expected, uid):
    """Every thread of `pid`: user `uid`, exactly `expected`, nothing inheritable or ambient."""
    tasks = os.listdir("/proc/%d/task" % pid)
    test.assertGreater(len(tasks), 3)  # HTTP workers, rescan thread...
    for t in tasks:
        st = status_caps("/proc/%d/task/%s/status" % (pid, t))
        test.assertEqual(st["Uid"], uid)
        test.assertEqual(st["CapEff"], expected, "thread %s" % t)
        test.assertEqual(st["CapPrm"], expected, "thread %s" % t)
        test.assertEqual(st["CapInh"], set(), "thread %s" % t)
        test.assertEqual(st["CapAmb"], set(), "thread %s" % t)


def running_line(caps):
    """The start-up log's line for a kept set (in capability number order, as logged)."""
    names = sorted(caps, key=lambda c: CAP_BITS[c])
    return "running with capabilities %s\n" % ",".join(c.upper() for c in names)


def skip_without_capsh(test):
    if subprocess.run(["which", "capsh"], capture_output=True).returncode != 0:
        test.skipTest("capsh (libcap2-bin) is not installed")


class CapabilitiesTest(NfctTestCase):

    def setUp(self):
        super().setUp()
        skip_without_capsh(self)
        # a (by name) -- veth -- b (by name); c is a namespace that only a root process
        # holds (no /run/netns entry): reached through /proc/PID/ns/net.
        self.a = self.lab.netns("a")
        self.b = self.lab.netns("b")
        _, self.addr_b = self.lab.veth(self.a, self.b)
        for ns in (self.a, self.b):
            conntrack_on(ns)
        self.holder = subprocess.Popen(["unshare", "--net", "sleep", "600"])
        self.addCleanup(self._stop_holder)
        self.c_path = "/proc/%d/ns/net" % self.holder.pid
        wait_for(lambda: os.path.exists(self.c_path) and os.readlink(self.c_path) != os.readlink("/proc/self/ns/net"),
                 what="the unshared namespace")
        self.c_label = str(os.stat(self.c_path).st_ino)

    def _stop_holder(self):
        self.holder.kill()
        self.holder.wait()

    def start(self, caps, env_skip=False, extra=None):
        cfg = {"probes": IPV4_PROBES, "netns": [self.a.name, self.b.name, self.c_path],
               "netns_rescan_interval": "1s"}
        cfg.update(extra or {})
        return Exporter(self, config=cfg, prefix=as_nobody(caps, env_skip))

    def wait_http(self, ex):
        def up():
            ex._alive()
            try:
                return ex.request("/healthz", timeout=2)[0] == 200
            except OSError:
                return False
        wait_for(up, timeout=20, what="the exporter to serve")

    def exit_status(self, ex, timeout=30):
        try:
            return ex.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    # ------------------------------------------------------------------ all documented

    def check_threads(self, ex, expected):
        assert_threads(self, ex.proc.pid, expected, 65534)

    def test_documented_capabilities_suffice_as_nobody(self):
        ex = self.start(DOCUMENTED)
        ex.wait_ready(netns=[self.a, self.b])
        wait_for(lambda: ex.scrape().value("nfct_probe_attached", probe=IN, netns=self.c_label) == 1,
                 what="the /proc/PID/ns/net namespace attached")
        ping(self.a, self.addr_b, 10)
        m = ex.wait_counts({
            key("nfct_packets_total", probe=POST, netns=self.a.label, state="new"): 1,
            key("nfct_packets_total", probe=POST, netns=self.a.label, state="established"): 9,
            key("nfct_packets_total", probe=IN, netns=self.a.label, state="reply"): 10,
            key("nfct_packets_total", probe=IN, netns=self.b.label, state="new"): 1,
            key("nfct_packets_total", probe=IN, netns=self.b.label, state="established"): 9,
            key("nfct_packets_total", probe=POST, netns=self.b.label, state="reply"): 10,
        })
        for ns in (self.a.label, self.b.label, self.c_label):
            self.assertEqual(m.value("nfct_table_read_success", netns=ns), 1, ns)
        self.assertGreaterEqual(m.value("nfct_table_entries", netns=self.a.label), 1)
        self.check_threads(ex, set(DOCUMENTED))
        self.assertEqual(ex.stop(), 0)

    def test_capabilities_beyond_the_need_are_dropped(self):
        """Given CAP_BPF and CAP_PERFMON too, the exporter keeps only the documented set."""
        ex = self.start(DOCUMENTED + NARROW)
        ex.wait_ready(netns=[self.a, self.b])
        self.check_threads(ex, set(DOCUMENTED))
        self.assertRegex(ex.log(), r"running with capabilities CAP_NET_ADMIN,CAP_SYS_PTRACE,CAP_SYS_ADMIN\n")
        self.assertEqual(ex.stop(), 0)

    def test_new_namespace_after_drop(self):
        """CAP_SYS_ADMIN alone (no table statistics): a listed namespace created after
        start-up is found, hooked and counted."""
        d = self.lab.netns("d", create=False)
        e = self.lab.netns("e", create=False)
        ex = Exporter(self, config={"probes": IPV4_PROBES, "netns": [self.a.name, d.name, e.name],
                                    "netns_rescan_interval": "1s", "table_stats": {"enabled": False}},
                      prefix=as_nobody(["cap_sys_admin"]))
        ex.wait_ready(netns=[self.a])
        st = status_caps("/proc/%d/status" % ex.proc.pid)
        self.assertEqual(st["CapEff"], {"cap_sys_admin"})
        self.lab.create(d)
        self.lab.create(e)
        _, addr_e = self.lab.veth(d, e)
        for ns in (d, e):
            conntrack_on(ns)
        ex.wait_ready(netns=[d, e])
        ping(d, addr_e, 4)
        ex.wait_counts({
            key("nfct_packets_total", probe=POST, netns=d.label, state="new"): 1,
            key("nfct_packets_total", probe=IN, netns=d.label, state="reply"): 4,
            key("nfct_packets_total", probe=IN, netns=e.label, state="new"): 1,
        })
        self.assertEqual(ex.stop(), 0)

    # ------------------------------------------------------------------ one missing

    def test_each_missing_capability_is_named(self):
        for missing in DOCUMENTED:
            # CAP_BPF and CAP_PERFMON given: without CAP_SYS_ADMIN they are what BPF uses.
            caps = [c for c in DOCUMENTED if c != missing] + NARROW
            with self.subTest(missing=missing.upper()):
                ex = self.start(caps)
                try:
                    self._named(ex, missing)
                finally:
                    ex.kill()  # before the next one hooks the same namespaces

    def _named(self, ex, missing):
        if missing == "cap_sys_admin":
            self.assertEqual(self.exit_status(ex), 1, ex.log())
            self.assertRegex(ex.log(), r"CAP_SYS_ADMIN is needed for netfilter probes \(entering each network "
                                       r"namespace with setns\), and the exporter does not have it")
            return
        ex.wait_ready(netns=[self.a, self.b])
        m = ex.scrape()
        if missing == "cap_net_admin":
            # Table statistics off, named; the probes count on.
            self.assertRegex(ex.log(), r"CAP_NET_ADMIN is needed for table statistics .*: not available")
            self.assertEqual(m.select("nfct_table_read_success"), [])
            ping(self.a, self.addr_b, 2)
            ex.wait_counts({key("nfct_packets_total", probe=IN, netns=self.a.label, state="reply"): 2})
        else:
            self.assertRegex(ex.log(), r"CAP_SYS_PTRACE is needed for .*/proc/PID/ns/net")
            self.assertIsNone(m.value("nfct_probe_attached", probe=IN, netns=self.c_label))
        self.assertEqual(ex.stop(), 0)

    def test_without_the_check_the_kernel_refuses(self):
        """The measurement behind the table: the start-up check off, each capability taken
        away in turn; the kernel refuses the feature (not just our check)."""
        for missing in DOCUMENTED:
            caps = [c for c in DOCUMENTED if c != missing] + NARROW
            with self.subTest(missing=missing.upper()):
                ex = self.start(caps, env_skip=True)
                try:
                    self._refused(ex, missing)
                finally:
                    ex.kill()

    def _refused(self, ex, missing):
        if missing == "cap_sys_admin":
            # Even with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN: setns() is refused.
            self.assertEqual(self.exit_status(ex), 1, ex.log())
            self.assertIn("no probe could be attached", ex.log())
            return
        ex.wait_ready(netns=[self.a, self.b])
        if missing == "cap_net_admin":
            # ctnetlink refuses every request.
            def refused():
                m = ex.scrape()
                return m.value("nfct_table_read_success", netns=self.a.label) == 0, m
            m = wait_for(refused, what="table statistics refused")
            self.assertGreater(m.get("nfct_table_read_errors_total"), 0)
        else:
            m = ex.scrape()
            self.assertIsNone(m.value("nfct_probe_attached", probe=IN, netns=self.c_label))
            # The kernel's refusal, seen directly: the same user and capabilities cannot
            # even read the link (and can with CAP_SYS_PTRACE).
            caps = [c for c in DOCUMENTED if c != missing] + NARROW
            p = run(as_nobody(caps) + ["readlink", self.c_path], check=False)
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertEqual(p.stdout, "")
            p = run(as_nobody(DOCUMENTED) + ["readlink", self.c_path], check=False)
            self.assertEqual(p.stdout.strip(), "net:[%s]" % self.c_label, p.stderr)
        self.assertEqual(ex.stop(), 0)


class NamespaceInfoCapabilityTest(NfctTestCase):
    """netns listed by name only (no /proc path, so finding the namespaces needs no
    CAP_SYS_PTRACE): nfct_netns_info still names the root process inside each, which
    takes CAP_SYS_PTRACE. The exporter keeps it and says why in its log; without it the
    kernel refuses and the pid and comm are empty."""

    def setUp(self):
        super().setUp()
        skip_without_capsh(self)
        self.ns = self.lab.netns("info")
        # A root process with every capability, inside the namespace (as a pod's would be).
        self.sleeper = subprocess.Popen(self.ns.cmd(["sleep", "600"]))
        self.addCleanup(reap, self.sleeper)
        path = "/proc/%d/ns/net" % self.sleeper.pid

        def inside():
            # ip netns exec enters the namespace, then execs sleep (same PID).
            try:
                with open("/proc/%d/comm" % self.sleeper.pid) as f:
                    comm = f.read().strip()
                return os.stat(path).st_ino == self.ns.inode and comm == "sleep"
            except OSError:
                return False
        wait_for(inside, what="sleep to run inside %s" % self.ns.name)

    def start(self, prefix):
        return Exporter(self, config={"probes": IPV4_PROBES, "netns": [self.ns.name], "netns_rescan_interval": "200ms"},
                        prefix=prefix)

    def info(self, ex):
        """The labels of the namespace's one nfct_netns_info sample (netns left out), or None."""
        ex._alive()
        try:
            found = ex.scrape().select("nfct_netns_info", netns=self.ns.label)
        except OSError:
            return None
        self.assertLessEqual(len(found), 1, found)
        return {k: v for k, v in found[0][0].items() if k != "netns"} if found else None

    def wait_info(self, ex, ok, what):
        """Polls until ok(info) holds; returns that info."""
        def check():
            got = self.info(ex)
            return ok(got), got
        return wait_for(check, timeout=20, what=what)

    def test_root_process_shown_with_names_only(self):
        """Run as root (every capability given) and as nobody with the documented three:
        both keep exactly CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE, log it, and show
        the sleeper's PID and command."""
        want = {"name": self.ns.name, "pid": str(self.sleeper.pid), "comm": "sleep", "pod_uid": "",
                "container_id": ""}
        for who, prefix, uid in (("root", (), 0), ("nobody", as_nobody(DOCUMENTED), 65534)):
            with self.subTest(user=who):
                ex = self.start(prefix)
                try:
                    self.wait_info(ex, lambda got: got == want, "nfct_netns_info of %s as %s" % (self.ns.name, who))
                    log = ex.log()
                    self.assertIn(running_line(DOCUMENTED), log)
                    self.assertIn("keeping CAP_SYS_PTRACE for the pid and comm of nfct_netns_info "
                                  "(/proc/PID/ns/net)\n", log)
                    self.assertNotIn("CAP_SYS_PTRACE is needed", log)
                    assert_threads(self, ex.proc.pid, set(DOCUMENTED), uid)
                    # The process stays the namespace's: the same on a later rescan.
                    rescans = ex.scrape().value("nfct_netns_rescans_total")
                    wait_for(lambda: ex.scrape().value("nfct_netns_rescans_total") >= rescans + 2,
                             what="two more rescans")
                    self.assertEqual(self.info(ex), want)
                    self.assertEqual(ex.stop(), 0)
                finally:
                    ex.kill()  # before the next one hooks the same namespace

    def test_without_cap_sys_ptrace_the_kernel_refuses(self):
        """The measurement behind the need: CAP_SYS_PTRACE not given, the exporter warns
        naming it and starts; the namespace is covered and named, but the kernel hides
        the root process, so pid and comm are empty. The same user and capabilities
        cannot stat the process's ns/net directly either."""
        caps = [c for c in DOCUMENTED if c != "cap_sys_ptrace"]
        ex = self.start(as_nobody(caps))
        got = self.wait_info(ex, lambda got: got is not None, "nfct_netns_info of %s" % self.ns.name)
        # The series comes from the same rescan that looked for the namespace's processes.
        self.assertEqual(got, {"name": self.ns.name, "pid": "", "comm": "", "pod_uid": "", "container_id": ""})
        log = ex.log()
        self.assertRegex(log, r"CAP_SYS_PTRACE is needed for the pid and comm of nfct_netns_info .*: not available")
        self.assertIn(running_line(caps), log)
        self.assertNotIn("keeping CAP_SYS_PTRACE", log)
        ns_net = "/proc/%d/ns/net" % self.sleeper.pid
        p = run(as_nobody(caps) + ["stat", "-L", "-c", "%i", ns_net], check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        p = run(as_nobody(DOCUMENTED) + ["stat", "-L", "-c", "%i", ns_net], check=False)
        self.assertEqual(p.stdout.strip(), self.ns.label, p.stderr)
        self.assertEqual(ex.stop(), 0)
