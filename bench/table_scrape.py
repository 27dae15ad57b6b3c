#!/usr/bin/env python3
"""Scrape cost against conntrack table size.

Run as root after building (build/nfct_exporter):

    python3 bench/table_scrape.py [--entries 100000] [--scrapes 200]

In a network namespace of its own it measures, side by side in one run:

- /metrics latency (p50, p99) of an exporter covering only that namespace, with the
  per-zone dump off (the default), with the table nearly empty and again holding
  --entries entries: the table statistics are four ctnetlink requests whose answers do
  not depend on the table size;
- `conntrack -L` over the same full table, the cost of any per-entry view;
- the same exporter with zone_entries on: its scrape latency (the dump runs in the
  background, never in a scrape) and the dump duration it reports.

The table is filled with UDP flows over loopback (one datagram per flow, to distinct
ports, dropped at input so that no ICMP answers) with the namespace's UDP timeout
raised so that no entry expires during the run. Results go to
bench/results/table_scrape.json and bench/results/table_scrape.md.
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXPORTER = os.environ.get("NFCT_EXPORTER") or os.path.join(ROOT, "build", "nfct_exporter")
RESULTS = os.path.join(ROOT, "bench", "results")
NS = "nfct-bench-table-%d" % os.getpid()

RULES = """
table inet nfct_bench {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 10000-65000 drop
    ct state new accept
  }
}
"""

# argv: count. UDP flows to distinct (source port, destination port) pairs.
FILL = r"""
import socket, sys
count = int(sys.argv[1])
per_socket = 50000
socks, sent = [], 0
while sent < count:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    socks.append(s)
    for port in range(10000, 10000 + min(per_socket, count - sent)):
        s.sendto(b"x", ("127.0.0.1", port))
        sent += 1
print(sent)
"""


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def ns_run(argv, **kw):
    return run(["ip", "netns", "exec", NS] + argv, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary_ms(seconds):
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3),
            "max_ms": round(max(ms), 3), "n": len(ms)}


class Exporter:
    def __init__(self, zone_entries):
        self.dir = tempfile.mkdtemp(prefix="nfct-bench-")
        cfg = os.path.join(self.dir, "config.yaml")
        with open(cfg, "w") as f:
            f.write("probes: [nf:ipv4:input, nf:ipv4:postrouting]\nnetns: [%s]\n" % NS)
            if zone_entries:
                f.write("zone_entries: {enabled: true, interval: 2s, timeout: 2s}\n")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen([EXPORTER, "--config.file=" + cfg,
                                      "--web.listen-address=127.0.0.1:%d" % self.port],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if "nfct_table_read_success{" in self.get():
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("exporter did not start; log in %s" % self.dir)
            time.sleep(0.1)

    def get(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request("GET", "/metrics")
            return c.getresponse().read().decode()
        finally:
            c.close()

    def scrape_times(self, n):
        """Latencies of n scrapes, and the table reading time each scrape reported."""
        times, reads = [], []
        for _ in range(n):
            t0 = time.perf_counter()
            body = self.get()
            times.append(time.perf_counter() - t0)
            for line in body.splitlines():
                if line.startswith("nfct_table_read_duration_seconds "):
                    reads.append(float(line.split()[1]))
        return times, reads

    def value(self, name):
        for line in self.get().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(None, 1)[1])
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, True)


def conntrack_list_times(n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        ns_run(["conntrack", "-L"], timeout=120)
        times.append(time.perf_counter() - t0)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, default=100000)
    ap.add_argument("--scrapes", type=int, default=200)
    ap.add_argument("--dumps", type=int, default=5, help="conntrack -L runs")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    if not os.access(EXPORTER, os.X_OK):
        raise SystemExit("no exporter at %s: build first (or set NFCT_EXPORTER)" % EXPORTER)
    with open("/proc/sys/net/netfilter/nf_conntrack_max") as f:
        ct_max = int(f.read())
    if ct_max and ct_max < args.entries + 100:
        raise SystemExit("nf_conntrack_max is %d, below --entries" % ct_max)

    run(["ip", "netns", "add", NS])
    exporters = []
    try:
        ns_run(["ip", "link", "set", "lo", "up"])
        ns_run(["nft", "-f", "-"], input=RULES)
        ns_run(["sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=3600"])
        off = Exporter(zone_entries=False)
        exporters.append(off)

        off.scrape_times(10)  # warm up
        empty_entries = int(ns_run(["conntrack", "-C"]).stdout)
        empty, empty_reads = off.scrape_times(args.scrapes)

        t0 = time.perf_counter()
        full_entries = empty_entries
        for _ in range(5):  # the count can fall short by a flow or so: top up
            ns_run(["python3", "-c", FILL, str(args.entries - full_entries)], timeout=600)
            full_entries = int(ns_run(["conntrack", "-C"]).stdout)
            if full_entries >= args.entries:
                break
        fill_seconds = time.perf_counter() - t0
        full, full_reads = off.scrape_times(args.scrapes)
        listed = conntrack_list_times(args.dumps)
        exporter_entries = off.value("nfct_table_entries")
        # Two exporters cannot hook the same namespace at the same priority: one at a time.
        off.stop()
        exporters.remove(off)

        on = Exporter(zone_entries=True)
        exporters.append(on)
        deadline = time.monotonic() + 60
        while on.value("nfct_zone_dump_entries") is None and time.monotonic() < deadline:
            time.sleep(0.2)
        with_dump, _ = on.scrape_times(args.scrapes)
        dump_seconds = on.value("nfct_zone_dump_duration_seconds")
        dump_entries = on.value("nfct_zone_dump_entries")
    finally:
        for e in exporters:
            e.stop()
        subprocess.run(["ip", "netns", "del", NS])

    result = {
        "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
        "fill": {"entries": full_entries, "seconds": round(fill_seconds, 2)},
        "scrape_option_off_small_table": dict(summary_ms(empty), entries=empty_entries),
        "scrape_option_off_full_table": dict(summary_ms(full), entries=full_entries),
        "table_read_in_scrape_small_table": dict(summary_ms(empty_reads), entries=empty_entries),
        "table_read_in_scrape_full_table": dict(summary_ms(full_reads), entries=full_entries),
        "conntrack_L_full_table": dict(summary_ms(listed), entries=full_entries),
        "scrape_option_on_full_table": dict(summary_ms(with_dump), entries=full_entries),
        "zone_dump_background": {"duration_ms": round((dump_seconds or 0) * 1000, 3),
                                 "entries": dump_entries},
        "exporter_table_entries": exporter_entries,
    }
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "table_scrape.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    md = render_markdown(result)
    with open(os.path.join(RESULTS, "table_scrape.md"), "w") as f:
        f.write(md)
    print(md)


def render_markdown(r):
    rows = [
        ("/metrics, zone_entries off, small table", r["scrape_option_off_small_table"]),
        ("/metrics, zone_entries off, full table", r["scrape_option_off_full_table"]),
        ("ctnetlink reading inside those scrapes (`nfct_table_read_duration_seconds`), small table",
         r["table_read_in_scrape_small_table"]),
        ("ctnetlink reading inside those scrapes, full table", r["table_read_in_scrape_full_table"]),
        ("`conntrack -L`, full table", r["conntrack_L_full_table"]),
        ("/metrics, zone_entries on, full table", r["scrape_option_on_full_table"]),
    ]
    out = ["# Scrape cost against conntrack table size", "",
           "Kernel %s, %d CPUs. Table filled with %d UDP flows in %.1f s. "
           "One network namespace covered. Produced by `bench/table_scrape.py`." % (
               r["host"]["kernel"], r["host"]["cpus"], r["fill"]["entries"], r["fill"]["seconds"]),
           "", "| what | entries | runs | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
    for name, s in rows:
        out.append("| %s | %d | %d | %.3f | %.3f | %.3f |" % (
            name, s["entries"], s["n"], s["p50_ms"], s["p99_ms"], s["max_ms"]))
    z = r["zone_dump_background"]
    out += ["", "Background zone dump (zone_entries on), as the exporter reports it in "
            "`nfct_zone_dump_duration_seconds`: %.1f ms for %s entries." % (
                z["duration_ms"], int(z["entries"] or 0)), ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
