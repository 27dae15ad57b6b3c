#!/usr/bin/env python3
"""The drop probe's cost (bench/run.sh runs this after bench/run.py).

In a namespace of its own, UDP floods over loopback are dropped by the kernel at full
speed, once to a closed port (reason no_socket) and once by an nft rule (netfilter_drop,
state new). For each flood:

- drops/s the probe counts: the exporter's nfct_drop_packets_total for the namespace and
  reason, against the kernel's own count of the same drops (nstat UdpNoPorts, the nft
  rule's counter); the two must be equal;
- its cost per dropped packet: kernel BPF statistics (run_time_ns / run_cnt) of the
  exporter's nfct_drop next to an empty program at the same tracepoint (bench/drop_empty),
  both attached for the same packets, so the difference is what counting a drop costs.

Writes bench/results/drops.json and bench/results/drops.md. Needs root and the build
(build/nfct_exporter, build/bench/drop_empty, build/bench/flood).

    python3 bench/drops.py [--full] [--only ...,drops,...] [--build-dir build]
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATS = Path("/proc/sys/kernel/bpf_stats_enabled")


def sh(cmd, input=None, timeout=120):
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, check=True).stdout


def prog_stats():
    out = json.loads(sh(["bpftool", "-j", "prog", "show"]) or "[]")
    return {p["id"]: (p.get("run_time_ns", 0), p.get("run_cnt", 0)) for p in out}


def fd_prog_ids(pid):
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            text = Path("/proc/%d/fdinfo/%s" % (pid, fd)).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("prog_id:"):
                ids.add(int(line.split()[1]))
    return ids


def metrics(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read().decode()
    return text.splitlines()


def drop_count(lines, netns, reason):
    prefix = 'nfct_drop_packets_total{netns="%s",reason="%s",' % (netns, reason)
    return sum(int(float(l.rsplit(" ", 1)[1])) for l in lines if l.startswith(prefix))


def nstat(ns, name):
    out = json.loads(sh(["ip", "netns", "exec", ns, "nstat", "-az", "--json", name]))
    return out["kernel"].get(name, 0)


def nft_counter(ns):
    out = json.loads(sh(["ip", "netns", "exec", ns, "nft", "-j", "list", "counter", "ip", "nfct_bench_drop", "dropped"]))
    return [i["counter"]["packets"] for i in out["nftables"] if "counter" in i][0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summary(xs):
    xs = sorted(xs)
    return {"n": len(xs), "median": xs[len(xs) // 2], "min": xs[0], "max": xs[-1]} if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--only", default="drops")
    ap.add_argument("--pin", action="store_true")  # accepted for bench/run.sh's arguments
    ap.add_argument("--build-dir", default=str(ROOT / "build"))
    ap.add_argument("--report-only", action="store_true")
    args, _ = ap.parse_known_args()
    if args.report_only or "drops" not in [p.strip() for p in args.only.split(",")]:
        return 0
    if os.geteuid() != 0:
        print("bench/drops.py: needs root", file=sys.stderr)
        return 1
    build = Path(args.build_dir)
    rounds, seconds = (5, 5.0) if args.full else (3, 2.0)
    ns = "nfct-bench-drop-%d" % os.getpid()
    procs = []
    stats_before = STATS.read_text().strip()
    tmp = tempfile.mkdtemp(prefix="nfct-bench-drop-")
    res = {"rounds": rounds, "seconds": seconds, "samples": [], "load_before": os.getloadavg()}
    try:
        sh(["ip", "netns", "add", ns])
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        # Conntrack on (the drops carry an entry where the kernel keeps it); port 10 is
        # dropped by a rule, port 9 is closed.
        sh(["ip", "netns", "exec", ns, "nft", "-f", "-"], input="""
table ip nfct_bench_drop {
  counter dropped { }
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 10 counter name dropped drop
    ct state new accept
  }
}
""")
        netns = str(os.stat("/run/netns/" + ns).st_ino)
        STATS.write_text("1\n")
        floor = subprocess.Popen([str(build / "bench" / "drop_empty")], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        procs.append(floor)
        floor_id = json.loads(floor.stdout.readline())["prog_id"]
        port = free_port()
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text("probes: [nf:ipv4:input]\nnetns: [%s]\ntable_stats:\n  enabled: false\n" % ns)
        ex = subprocess.Popen([str(build / "nfct_exporter"), "--config.file=%s" % cfg,
                               "--web.listen-address=127.0.0.1:%d" % port],
                              stdout=open(Path(tmp) / "exporter.log", "w"), stderr=subprocess.STDOUT)
        procs.append(ex)
        deadline = time.monotonic() + 30
        while True:
            try:
                if any(l == 'nfct_probe_up{probe="drop:skb:kfree_skb"} 1' for l in metrics(port)):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or ex.poll() is not None:
                raise RuntimeError("the exporter's drop probe did not come up: " +
                                   (Path(tmp) / "exporter.log").read_text())
            time.sleep(0.1)
        ours = [i for i in fd_prog_ids(ex.pid) if json.loads(sh(["bpftool", "-j", "prog", "show", "id", str(i)]))
                .get("name") == "nfct_drop"][0]
        for rnd in range(rounds):
            for kind, dport, reason in (("closed_port", 9, "no_socket"), ("nft_rule", 10, "netfilter_drop")):
                kernel0 = nstat(ns, "UdpNoPorts") if kind == "closed_port" else nft_counter(ns)
                m0, s0 = drop_count(metrics(port), netns, reason), prog_stats()
                t0 = time.monotonic()
                fl = json.loads(sh(["ip", "netns", "exec", ns, str(build / "bench" / "flood"), "udp-send",
                                    "--dst=127.0.0.1", "--port=%d" % dport, "--seconds=%s" % seconds]))
                elapsed = time.monotonic() - t0
                s1 = prog_stats()
                kernel = (nstat(ns, "UdpNoPorts") if kind == "closed_port" else nft_counter(ns)) - kernel0
                counted = drop_count(metrics(port), netns, reason) - m0
                o = (s1[ours][0] - s0[ours][0], s1[ours][1] - s0[ours][1])
                f = (s1[floor_id][0] - s0[floor_id][0], s1[floor_id][1] - s0[floor_id][1])
                smp = {"round": rnd, "flood": kind, "reason": reason, "kernel_drops": kernel,
                       "counted": counted, "exact": counted == kernel, "drops_per_s": counted / elapsed,
                       "ours_ns": o[0] / max(1, o[1]), "floor_ns": f[0] / max(1, f[1]),
                       "ours_runs": o[1], "floor_runs": f[1], "flood_result": fl}
                smp["diff_ns"] = smp["ours_ns"] - smp["floor_ns"]
                res["samples"].append(smp)
                print("drops: round %d %s: %d drops (kernel %d), %.0f/s, nfct_drop %.1f ns, empty %.1f ns, "
                      "diff %.1f ns" % (rnd, kind, counted, kernel, smp["drops_per_s"], smp["ours_ns"],
                                        smp["floor_ns"], smp["diff_ns"]), flush=True)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        STATS.write_text(stats_before + "\n")
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    res["load_after"] = os.getloadavg()
    res["nproc"] = os.cpu_count()
    res["kernel"] = os.uname().release
    table = {}
    for kind in ("closed_port", "nft_rule"):
        ss = [s for s in res["samples"] if s["flood"] == kind]
        table[kind] = {k: summary([s[k] for s in ss]) for k in ("drops_per_s", "ours_ns", "floor_ns", "diff_ns")}
        table[kind]["all_exact"] = all(s["exact"] for s in ss)
    res["table"] = table
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "drops.json").write_text(json.dumps(res, indent=2) + "\n")
    L = ["# Drop probe benchmark (bench/drops.py)", "",
         "Kernel %s, %d CPUs, load average %.1f before and %.1f after the run (the machine was shared "
         "with other work: absolute numbers are noisy, the side-by-side difference less so). %d rounds of "
         "%.0f s UDP floods over loopback per kind." % (res["kernel"], res["nproc"], res["load_before"][0],
                                                          res["load_after"][0], rounds, seconds), "",
         "| flood | drop reason | drops/s counted (median) | counted == kernel | nfct_drop ns/run | empty ns/run | "
         "cost per drop (ns, median [min, max]) |", "|---|---|---|---|---|---|---|"]
    for kind, reason in (("closed_port", "no_socket"), ("nft_rule", "netfilter_drop")):
        t = table[kind]
        L.append("| %s | %s | %.0f | %s | %.1f | %.1f | %.1f [%.1f, %.1f] |" % (
            kind, reason, t["drops_per_s"]["median"], "yes" if t["all_exact"] else "NO",
            t["ours_ns"]["median"], t["floor_ns"]["median"], t["diff_ns"]["median"], t["diff_ns"]["min"],
            t["diff_ns"]["max"]))
    (out / "drops.md").write_text("\n".join(L) + "\n")
    print("\n".join(L))
    return 0 if all(t["all_exact"] for t in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
