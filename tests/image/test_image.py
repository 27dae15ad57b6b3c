"""The container image, built and run here (scripts/test.sh, "container image" stage).

No container runtime runs on this machine (podman run cannot set RLIMIT_NOFILE), so the
image's own entrypoint is run by chroot into `podman image mount`, inside `unshare -m` so
that the bind mounts of /proc, /sys and /run/netns stay private. A debian:bookworm base
image is made with debootstrap when podman has none (cached as a tarball for the next
run). Checks: the image holds only the binary, its libraries and the default config;
--version and nfct_exporter_build_info report the revision; the entrypoint attaches,
counts pings exactly and serves /metrics; without /sys or without CAP_SYS_ADMIN it stops with a
message naming what is missing.

Environment: NFCT_IMAGE (default localhost/nfct_exporter:ci), NFCT_IMAGE_BASE_CACHE
(default /var/cache/nfct_exporter/debian-bookworm.tar), NFCT_IMAGE_SKIP_BUILD=1 (check an
image built before, with NFCT_IMAGE_REVISION the revision it was built from; for
developers, never set by scripts/test.sh)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from nfct_harness import (IPV4_PROBES, SOURCE_DIR, Lab, Metrics, check_environment, conntrack_on, free_port,  # noqa: E402
                          ping, run, wait_for, yaml_config)

IMAGE = os.environ.get("NFCT_IMAGE", "localhost/nfct_exporter:ci")
BASE = "docker.io/library/debian:bookworm"
BASE_CACHE = os.environ.get("NFCT_IMAGE_BASE_CACHE", "/var/cache/nfct_exporter/debian-bookworm.tar")


def log(msg):
    print("image: " + msg, file=sys.stderr, flush=True)


def apt_mirror():
    """The Debian mirror this machine's apt uses (the first URIs of a deb822 source, or the
    first `deb` line): debootstrap fetches from where apt-get does."""
    for path in sorted(os.listdir("/etc/apt/sources.list.d")):
        if path.endswith(".sources"):
            with open(os.path.join("/etc/apt/sources.list.d", path)) as f:
                for line in f:
                    if line.startswith("URIs:") and "security" not in line:
                        return line.split()[1]
    if os.path.exists("/etc/apt/sources.list"):
        with open("/etc/apt/sources.list") as f:
            for line in f:
                parts = line.split()
                if parts[:1] == ["deb"] and "security" not in line:
                    return next(p for p in parts[1:] if "://" in p)
    raise AssertionError("no Debian mirror found in /etc/apt/sources.list{,.d} for debootstrap")


def ensure_base():
    if run(["podman", "image", "exists", BASE], check=False).returncode == 0:
        return
    if not os.path.exists(BASE_CACHE):
        root = tempfile.mkdtemp(prefix="nfct-debootstrap-")
        try:
            log("no %s: debootstrap --variant=minbase bookworm (cached in %s)" % (BASE, BASE_CACHE))
            run(["debootstrap", "--variant=minbase", "bookworm", root, apt_mirror()], timeout=1200)
            os.makedirs(os.path.dirname(BASE_CACHE), exist_ok=True)
            run(["tar", "-C", root, "-cf", BASE_CACHE + ".tmp", "."], timeout=600)
            os.rename(BASE_CACHE + ".tmp", BASE_CACHE)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    log("importing %s from %s" % (BASE, BASE_CACHE))
    run(["podman", "import", BASE_CACHE, BASE], timeout=600)


def revision():
    return run(["git", "-C", SOURCE_DIR, "rev-parse", "--short", "HEAD"]).stdout.strip()


class ImageTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        check_environment()
        # Taken once: the checkout may move on while the image builds.
        cls.revision = os.environ.get("NFCT_IMAGE_REVISION") or revision()
        if os.environ.get("NFCT_IMAGE_SKIP_BUILD") == "1":
            # Developer shortcut: check an image built before (CI never sets it).
            log("NFCT_IMAGE_SKIP_BUILD=1: checking the existing %s" % IMAGE)
        else:
            ensure_base()
            t0 = time.monotonic()
            log("podman build --isolation=chroot (revision %s)" % cls.revision)
            run(["podman", "build", "--isolation=chroot", "--network=host", "--build-arg", "REVISION=" + cls.revision,
                 "-t", IMAGE, SOURCE_DIR], timeout=2400)
            log("built in %.0f s" % (time.monotonic() - t0))
        cls.mnt = run(["podman", "image", "mount", IMAGE]).stdout.strip()
        inspect = json.loads(run(["podman", "image", "inspect", IMAGE]).stdout)[0]
        cls.entrypoint = inspect["Config"]["Entrypoint"]

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "mnt", None):
            run(["podman", "image", "unmount", IMAGE], check=False)

    def setUp(self):
        self.lab = Lab(self)
        self.dir = tempfile.mkdtemp(prefix="nfct-t-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def chroot_run(self, argv, sys_mount=True, drop=(), config=None, background=False):
        """Runs argv (inside the image) by chroot in a private mount namespace, with /proc,
        /run/netns and (sys_mount) /sys bound in, `config` over the default config file,
        and the capabilities in `drop` removed (capsh, outside the image)."""
        m = self.mnt
        binds = ["mount --rbind /proc %s/proc" % m, "mount --rbind /run/netns %s/run/netns" % m]
        if sys_mount:
            binds.append("mount --rbind /sys %s/sys" % m)
        if config:
            binds.append("mount --bind %s %s/etc/nfct_exporter/nfct_exporter.yaml" % (config, m))
        inner = " && ".join(binds) + ' && exec "$0" "$@"'
        # The capabilities go after the mounts (unshare and mount need CAP_SYS_ADMIN) and
        # before chroot, which runs the image's binary.
        dropper = ["capsh", "--drop=" + ",".join(drop), "--", "-c", 'exec "$0" "$@"'] if drop else []
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", inner] + dropper + ["chroot", m] + list(argv)
        if background:
            log_path = os.path.join(self.dir, "exporter.log")
            f = open(log_path, "w")
            p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)

            def stop():
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
                f.close()
            self.addCleanup(stop)
            return p, log_path
        return run(cmd, check=False, timeout=60)

    def config_for(self, netns):
        path = os.path.join(self.dir, "nfct_exporter.yaml")
        with open(path, "w") as f:
            f.write(yaml_config({"probes": IPV4_PROBES, "netns": [n.name for n in netns]}))
        return path

    def test_contents_are_binary_libraries_and_config(self):
        files = []
        for root, dirs, names in os.walk(self.mnt):
            for n in names:
                p = os.path.join(root, n)
                if not os.path.islink(p):
                    files.append(os.path.relpath(p, self.mnt))
        others = [f for f in files if f not in ("usr/bin/nfct_exporter", "etc/nfct_exporter/nfct_exporter.yaml")
                  and not (".so" in os.path.basename(f) and f.split("/")[0] in ("lib", "lib64", "usr"))]
        self.assertEqual(others, [], "files other than the binary, its libraries and the config")
        self.assertEqual(self.entrypoint[0], "/usr/bin/nfct_exporter")
        self.assertIn("--config.file=/etc/nfct_exporter/nfct_exporter.yaml", self.entrypoint)

    def test_version_reports_the_revision(self):
        p = self.chroot_run(["/usr/bin/nfct_exporter", "--version"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(revision %s)" % self.revision, p.stdout)

    def test_entrypoint_attaches_counts_and_serves(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        _, addr_b = self.lab.veth(a, b)
        for ns in (a, b):
            conntrack_on(ns)
        port = free_port()
        p, log_path = self.chroot_run(self.entrypoint + ["--web.listen-address=127.0.0.1:%d" % port],
                                      config=self.config_for([a, b]), background=True)
        import http.client

        def scrape():
            if p.poll() is not None:
                with open(log_path) as f:
                    raise AssertionError("the image's exporter exited with %d:\n%s" % (p.returncode, f.read()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/metrics")
                r = c.getresponse()
                body = r.read().decode()
                c.close()
                return Metrics(body) if r.status == 200 else None
            except OSError:
                return None

        def attached():
            m = scrape()
            return bool(m) and all(m.value("nfct_probe_attached", probe=pr, netns=ns.label) == 1
                                   for ns in (a, b) for pr in IPV4_PROBES), m
        wait_for(attached, timeout=30, what="the image's exporter to attach")
        ping(a, addr_b, 5)

        def counted():
            m = scrape()
            got = m and (m.get("nfct_packets_total", probe="nf:ipv4:input", netns=a.label, state="reply"),
                         m.get("nfct_packets_total", probe="nf:ipv4:input", netns=b.label, state="new"))
            return got == (5, 1), got
        wait_for(counted, timeout=15, what="5 pings counted by the image's exporter")
        m = scrape()
        self.assertEqual(m.value("nfct_exporter_build_info", revision=self.revision), 1)
        p.terminate()
        self.assertEqual(p.wait(timeout=15), 0)

    def test_without_sys_or_capability_the_message_names_it(self):
        a = self.lab.netns("a")
        conntrack_on(a)
        cfg = self.config_for([a])
        listen = "--web.listen-address=127.0.0.1:%d" % free_port()
        p = self.chroot_run(self.entrypoint + [listen], sys_mount=False, config=cfg)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("kernel BTF /sys/kernel/btf/vmlinux is missing", p.stderr)
        self.assertIn("/sys is not mounted", p.stderr)
        p = self.chroot_run(self.entrypoint + [listen], drop=["cap_sys_admin"], config=cfg)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("CAP_SYS_ADMIN is needed for netfilter probes", p.stderr)


if __name__ == "__main__":
    unittest.main()
