"""nfct_netns_info: who a namespace is (name, lowest PID and command, pod UID and container
ID from the cgroup path), checked against namespaces and processes this test makes.

The exporter watches only this test's namespaces (list mode, by name or by
/proc/PID/ns/net) and rescans every 200 ms, so that a change shows within a second.
"""

import http.client
import os
import shutil
import subprocess
import uuid

from nfct_harness import NfctTestCase, PREFIX, reap, run, wait_for

RESCAN = "200ms"

# argv: comm. Sets its own command name (any bytes but NUL, at most 15), says ready, waits.
NAMED_SLEEPER = r"""
import ctypes, sys, time
name = sys.argv[1].encode("utf-8", "surrogateescape")
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
print("ready", flush=True)
time.sleep(600)
"""


def cgroup2_root():
    """Where the cgroup v2 hierarchy is mounted, or None."""
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    return None


class NetnsInfoTest(NfctTestCase):

    def sleeper(self, argv, ready=False):
        """A process (argv) killed at cleanup; with ready, waits for its "ready" line."""
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(reap, p)
        if ready:
            line = p.stdout.readline()
            if line.strip() != b"ready":
                p.kill()
                self.fail("%s did not start: %r %r" % (argv, line, p.stderr.read()))
        return p

    def unnamed_netns(self):
        """A namespace without a name, kept by one process; returns (process, inode label)."""
        p = self.sleeper(["unshare", "--net", "sleep", "600"])
        path = "/proc/%d/ns/net" % p.pid
        # unshare first runs in the old namespace, then execs sleep in the new one.
        def in_own_netns():
            try:
                with open("/proc/%d/comm" % p.pid) as f:
                    comm = f.read().strip()
                return os.readlink(path) != os.readlink("/proc/self/ns/net") and comm == "sleep"
            except OSError:
                return False
        wait_for(in_own_netns, what="unshare to exec sleep in its own namespace")
        return p, str(os.stat(path).st_ino)

    def exporter_for(self, entries):
        """An exporter watching the namespaces `entries` (names or paths)."""
        return self.exporter(netns=None, ready=False, extra={"netns": entries, "netns_rescan_interval": RESCAN})

    def info(self, ex, label):
        """{labels} of the one nfct_netns_info sample of a namespace, or None."""
        found = ex.scrape().select("nfct_netns_info", netns=label)
        self.assertLessEqual(len(found), 1, found)
        if not found:
            return None
        labels, value = found[0]
        self.assertEqual(value, 1)
        return {k: v for k, v in labels.items() if k != "netns"}

    def wait_info(self, ex, label, want, what):
        def check():
            ex._alive()
            try:
                got = self.info(ex, label)
            except OSError as e:
                return False, str(e)
            return got == want, got
        return wait_for(check, timeout=30, what=what)

    def raw_metrics(self, ex):
        conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=5)
        try:
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            return r.read()
        finally:
            conn.close()

    # ------------------------------------------------------------------ tests

    def test_name_pid_and_comm(self):
        """`ip netns add NAME` shows NAME; a process in it gives its PID and command; a
        namespace without a name shows its process and PID; nothing is served for
        namespaces that are not covered."""
        named = self.lab.netns("named")
        empty = self.lab.netns("empty")
        inside = self.sleeper(named.cmd(["sleep", "600"]))
        wait_for(lambda: os.path.exists("/proc/%d/ns/net" % inside.pid) and
                 os.stat("/proc/%d/ns/net" % inside.pid).st_ino == named.inode,
                 what="the sleeper to enter %s" % named.name)
        unnamed, unnamed_label = self.unnamed_netns()
        ex = self.exporter_for([named.name, empty.name, "/proc/%d/ns/net" % unnamed.pid])

        empty_info = {"name": empty.name, "pid": "", "comm": "", "pod_uid": "", "container_id": ""}
        self.wait_info(ex, empty.label, empty_info, "the empty named namespace")
        self.wait_info(ex, named.label, {"name": named.name, "pid": str(inside.pid), "comm": "sleep",
                                         "pod_uid": "", "container_id": ""}, "the named namespace")
        self.wait_info(ex, unnamed_label, {"name": "", "pid": str(unnamed.pid), "comm": "sleep",
                                           "pod_uid": "", "container_id": ""}, "the unnamed namespace")
        m = ex.scrape()
        self.assertEqual(m.netns_labels("nfct_netns_info"), {named.label, empty.label, unnamed_label})
        self.assertEqual(m.types.get("nfct_netns_info"), "gauge")
        # A name picks exactly its namespace.
        by_name = [l["netns"] for n, l, _ in m.samples if n == "nfct_netns_info" and l.get("name") == named.name]
        self.assertEqual(by_name, [named.label])

    def test_series_follows_the_namespace(self):
        """A new lowest PID, a new name (bind mount moved), the namespace gone: the series
        follows within a few rescans."""
        ns = self.lab.netns("follow")
        first = self.sleeper(ns.cmd(["sleep", "600"]))
        wait_for(lambda: os.path.exists("/proc/%d/ns/net" % first.pid) and
                 os.stat("/proc/%d/ns/net" % first.pid).st_ino == ns.inode, what="first sleeper")
        second = self.sleeper(ns.cmd(["python3", "-u", "-c", NAMED_SLEEPER, "second"]), ready=True)
        self.assertGreater(second.pid, first.pid)
        label = ns.label
        # By path of the second process: the namespace stays covered whatever its name.
        ex = self.exporter_for(["/proc/%d/ns/net" % second.pid])
        base = {"name": ns.name, "pod_uid": "", "container_id": ""}
        self.wait_info(ex, label, dict(base, pid=str(first.pid), comm="sleep"), "the first process")

        # The lowest PID exits: the next one is shown.
        reap(first)
        self.wait_info(ex, label, dict(base, pid=str(second.pid), comm="second"), "the second process")

        # Renamed: a second bind mount under a new name, then the old one removed.
        new_name = ns.name + "-renamed"
        new_path = "/run/netns/" + new_name
        open(new_path, "w").close()
        self.addCleanup(lambda: (run(["umount", new_path], check=False),
                                 os.path.exists(new_path) and os.unlink(new_path)))
        run(["mount", "--bind", ns.path, new_path])
        run(["umount", ns.path])
        os.unlink(ns.path)
        self.wait_info(ex, label, dict(base, name=new_name, pid=str(second.pid), comm="second"), "the new name")

        # Gone: no mount and no process keeps it any more.
        run(["umount", new_path])
        os.unlink(new_path)
        reap(second)
        wait_for(lambda: (ex._alive(), self.info(ex, label) is None)[1], timeout=30,
                 what="the series of the vanished namespace to go")

    def test_pod_uid_and_container_id_from_the_cgroup(self):
        """A process in a cgroup laid out as kubelet's systemd driver with containerd makes
        it (under a test-private parent) shows that pod UID and container ID."""
        root = cgroup2_root()
        if not root or not os.access(root, os.W_OK):
            self.skipTest("no writable cgroup v2 hierarchy")
        uid = str(uuid.uuid4())
        cid = os.urandom(32).hex()
        parent = os.path.join(root, "%scgroup.slice" % PREFIX)
        pod = os.path.join(parent, "kubepods-besteffort-pod%s.slice" % uid.replace("-", "_"))
        leaf = os.path.join(pod, "cri-containerd-%s.scope" % cid)
        os.makedirs(leaf)
        self.addCleanup(lambda: [os.path.isdir(d) and os.rmdir(d) for d in (leaf, pod, parent)])
        unnamed, label = self.unnamed_netns()
        with open(os.path.join(leaf, "cgroup.procs"), "w") as f:
            f.write(str(unnamed.pid))
        # Killed before the cgroups are removed (cleanups run last-in, first-out).
        self.addCleanup(reap, unnamed)
        ex = self.exporter_for(["/proc/%d/ns/net" % unnamed.pid])
        self.wait_info(ex, label, {"name": "", "pid": str(unnamed.pid), "comm": "sleep", "pod_uid": uid,
                                   "container_id": cid}, "pod UID and container ID")

    def test_any_byte_in_names_is_escaped_and_passes_promtool(self):
        """A namespace name and a command name with a quote, a backslash, a newline and a
        byte that is not UTF-8: the exposition is valid UTF-8, promtool check metrics
        passes, and the parsed values are the names (the bad byte as U+FFFD)."""
        tag = 'q"b\\s\nn\udcffx'  # \udcff: the byte 0xff in a file name (surrogateescape)
        ns = self.lab.netns(tag)
        comm = 'c"\\\n\udcff'
        p = self.sleeper(ns.cmd(["python3", "-u", "-c", NAMED_SLEEPER, comm]), ready=True)
        ex = self.exporter_for(["/proc/%d/ns/net" % p.pid])
        want_name = ns.name.replace("\udcff", "\ufffd")
        self.wait_info(ex, ns.label, {"name": want_name, "pid": str(p.pid), "comm": comm.replace("\udcff", "\ufffd"),
                                      "pod_uid": "", "container_id": ""}, "the odd names")
        body = self.raw_metrics(ex)
        text = body.decode("utf-8")  # strict: no invalid UTF-8 reaches the scrape
        lines = [l for l in text.splitlines() if l.startswith("nfct_netns_info{")]
        self.assertEqual(len(lines), 1, lines)  # the newline is escaped: one line per series
        self.assertIn(r'name="%s' % PREFIX, lines[0])
        self.assertIn(r'q\"b\\s\nn' + "\ufffd" + 'x"', lines[0])
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool is not installed (Debian package prometheus)")
        r = run([promtool, "check", "metrics"], input=text, check=False)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
