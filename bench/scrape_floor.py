#!/usr/bin/env python3
"""Where the time of a small /metrics page goes: the floor of a scrape.

Run as root after building (build/nfct_exporter, build/bench/*), under the lock the
privileged tests share:

    flock /tmp/nfct-priv.lock python3 bench/scrape_floor.py [--n 400] [--rounds 2]
        [--exporter before=/path/to/old/nfct_exporter --exporter after=build/nfct_exporter]
        [--variants default,slots0,slots0_notable] [--perf] [--json out.json]

One network namespace with one zone (bench/run.py's 1 zone x 1 namespace cell, about 85
series). Each exporter binary and config variant runs in turn, the whole set --rounds
times in alternating order, so that binaries and variants are compared side by side in
one run. For each: /metrics latency over one kept-alive connection and over fresh
connections (p50, p99), the exporter's CPU time per scrape (the run time of all its
threads from /proc/PID/task/*/schedstat, in nanoseconds), and the exporter's own timings
from every page: nfct_exporter_collect_duration_seconds (counter and drop maps, read and
rendered), nfct_table_read_duration_seconds (ctnetlink table statistics) and
nfct_exporter_scrape_duration_seconds (the whole page); "rest of page" is the page minus
those two, "outside page" the kept-alive latency minus the page (HTTP, gzip off here).
With --spaced N (default 30), N more fresh-connection scrapes 0.3 s apart: the CPU per
scrape including what the scrape leaves to background threads, next to the exporter's CPU
over 0.3 s without scrapes.

Variants: `default` (bench/run.py's configuration), `slots0` (maps.slots: 0, no counting
slots: the page without the slot read), `slots0_notable` (also table_stats.enabled:
false).

--perf records the exporter with `perf record -g` during the kept-alive scrapes of each
cell's first round and prints the top symbols (self time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py: Lab, Exporter, KeptAlive, spray, RULES_ZONES)

VARIANTS = {
    "default": [],
    "slots0": ["maps:", "  slots: 0"],
    "slots0_notable": ["maps:", "  slots: 0", "table_stats:", "  enabled: false"],
}
TIMINGS = {
    "collect_ms": "nfct_exporter_collect_duration_seconds",
    "table_ms": "nfct_table_read_duration_seconds",
    "page_ms": "nfct_exporter_scrape_duration_seconds",
}
TIMING_RE = {k: re.compile(rb"^" + re.escape(v.encode()) + rb" (\S+)$", re.M) for k, v in TIMINGS.items()}


class FloorExporter(run.Exporter):
    """bench/run.py's exporter with another binary and extra config keys (merged into its
    `maps:` and `events:` sections where it has them)."""

    def __init__(self, lab: run.Lab, netns: list[str], binary: Path, extra: list[str]):
        super().__init__(lab, netns)
        self.binary, self.extra = binary, extra

    def config(self) -> str:
        lines = super().config().splitlines()
        i = 0
        while i < len(self.extra):
            section, body = self.extra[i], []
            i += 1
            while i < len(self.extra) and self.extra[i].startswith("  "):
                body.append(self.extra[i])
                i += 1
            if section in lines:
                at = lines.index(section) + 1
                keys = {b.split(":")[0] for b in body}
                while at < len(lines) and lines[at].startswith("  "):
                    if lines[at].split(":")[0] in keys:
                        del lines[at]
                    else:
                        at += 1
                lines[lines.index(section) + 1:lines.index(section) + 1] = body
            else:
                lines += [section, *body]
        return "\n".join(lines) + "\n"

    def start(self) -> "FloorExporter":
        saved, self.lab.exporter_bin = self.lab.exporter_bin, self.binary
        try:
            super().start()
        finally:
            self.lab.exporter_bin = saved
        return self


def task_cpu_ns(pid: int) -> int:
    total = 0
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((t / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


def timings(body: bytes) -> dict[str, float]:
    out = {}
    for k, r in TIMING_RE.items():
        m = r.search(body)
        out[k] = float(m.group(1)) * 1000 if m else float("nan")
    return out


def perf_top(pid: int, seconds_fn, out_dir: Path, tag: str) -> list[str]:
    data = out_dir / f"perf-{tag}.data"
    p = subprocess.Popen(["perf", "record", "-q", "-g", "-F", "4999", "-p", str(pid), "-o", str(data)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    try:
        seconds_fn()
    finally:
        p.send_signal(2)
        p.wait(timeout=30)
    rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "-g", "none",
                          "--percent-limit", "1", "--sort", "dso,sym"],
                         capture_output=True, text=True, timeout=120).stdout
    return [l for l in rep.splitlines() if l.strip() and not l.startswith("#")][:30]


def measure(ex: FloorExporter, n: int, perf_dir: Path | None, tag: str, spaced: int) -> dict:
    client = run.KeptAlive(ex.port)
    for _ in range(20):  # warm-up: buffers, sockets of the table statistics
        client.get("/metrics")
    lat, per_page = [], {k: [] for k in TIMINGS}
    body = b""

    def kept_alive() -> None:
        nonlocal body
        for _ in range(n):
            t, status, body, _ = client.get("/metrics")
            if status != 200:
                raise run.BenchError(f"/metrics: HTTP {status}")
            lat.append(t)
            for k, v in timings(body).items():
                per_page[k].append(v)

    cpu0 = task_cpu_ns(ex.pid)
    kept_alive()
    cpu_ms = (task_cpu_ns(ex.pid) - cpu0) / 1e6 / n
    connections = client.connections
    top = None
    if perf_dir:
        lat_saved = list(lat)
        top = perf_top(ex.pid, kept_alive, perf_dir, tag)
        lat[:] = lat_saved
    client.close()
    fresh = []
    cpu0 = task_cpu_ns(ex.pid)
    for _ in range(n):
        t, _ = ex.scrape()
        fresh.append(t)
    fresh_cpu_ms = (task_cpu_ns(ex.pid) - cpu0) / 1e6 / n
    # Scrapes spaced out as Prometheus spaces them (much more slowly: every 15 s or so),
    # far enough apart that whatever a scrape leaves to background threads (the memory
    # trimmer runs 200 ms after a scrape) has run before the next; against the same time
    # without scrapes.
    spaced_cpu_ms = idle_cpu_ms = None
    if spaced:
        gap = 0.3
        cpu0, t0 = task_cpu_ns(ex.pid), time.monotonic()
        time.sleep(gap * spaced)
        idle_cpu_ms = (task_cpu_ns(ex.pid) - cpu0) / 1e6 / spaced
        cpu0 = task_cpu_ns(ex.pid)
        for _ in range(spaced):
            ex.scrape()
            time.sleep(gap)
        spaced_cpu_ms = (task_cpu_ns(ex.pid) - cpu0) / 1e6 / spaced
    text = body.decode()
    med = {k: statistics.median(v) for k, v in per_page.items()}
    if med["table_ms"] != med["table_ms"]:  # NaN: table statistics off
        med["table_ms"] = 0.0
    ka = run.latency_summary(lat)
    return {
        "series": sum(run.count_series(text).values()),
        "bytes": len(body),
        "keepalive": ka,
        "fresh": run.latency_summary(fresh),
        "cpu_ms_per_scrape": cpu_ms,
        "fresh_cpu_ms_per_scrape": fresh_cpu_ms,
        "spaced_cpu_ms_per_scrape": spaced_cpu_ms,
        "idle_cpu_ms_per_gap": idle_cpu_ms,
        "connections": connections,
        **{f"{k}_median": v for k, v in med.items()},
        "rest_of_page_ms_median": med["page_ms"] - med["collect_ms"] - med["table_ms"],
        "outside_page_ms": ka["p50_ms"] - med["page_ms"],
        "perf_top": top,
        "page": text,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", action="append", default=[],
                    help="LABEL=PATH of an nfct_exporter binary (repeatable; default: this build's)")
    ap.add_argument("--variants", default="default,slots0,slots0_notable")
    ap.add_argument("--n", type=int, default=400, help="scrapes per cell and mode")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--spaced", type=int, default=30,
                    help="scrapes 0.3 s apart for the CPU per scrape with background work (0: none)")
    ap.add_argument("--perf", action="store_true")
    ap.add_argument("--perf-dir", help="keep the perf data files here (default: removed at the end)")
    ap.add_argument("--json")
    ap.add_argument("--dump-pages", help="write the last page of each cell into this directory")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 2
    build = run.ROOT / "build"
    exporters = []
    for e in args.exporter or [f"this={build / 'nfct_exporter'}"]:
        label, _, path = e.partition("=")
        exporters.append((label, Path(path).resolve()))
    variants = args.variants.split(",")
    for v in variants:
        if v not in VARIANTS:
            print(f"unknown variant {v}: one of {', '.join(VARIANTS)}", file=sys.stderr)
            return 2

    lab = run.Lab(build, pin=False)
    res = {"load_start": os.getloadavg(), "n": args.n, "rounds": args.rounds, "cells": []}
    try:
        ns = lab.add_ns("floor")
        lab.nft(ns, run.RULES_ZONES)
        runs: dict[tuple[str, str], list[dict]] = {}
        for rnd in range(args.rounds):
            order = [(l, p, v) for v in variants for (l, p) in exporters]
            if rnd % 2:
                order.reverse()
            for label, path, variant in order:
                with FloorExporter(lab, [ns], path, VARIANTS[variant]) as ex:
                    run.spray(lab, ns, 1, pps=50_000)
                    deadline = time.monotonic() + 10
                    while run.count_series(ex.scrape()[1].decode()).get("nfct_zone_packets_total", 0) < 2:
                        if time.monotonic() > deadline:
                            raise run.BenchError("the zone series did not appear")
                        run.spray(lab, ns, 1, pps=50_000)
                        time.sleep(0.1)
                    perf_dir = Path(args.perf_dir or lab.tmp) if (args.perf and rnd == 0) else None
                    r = measure(ex, args.n, perf_dir, f"{label}-{variant}", args.spaced)
                r.update(exporter=label, variant=variant, round=rnd)
                if args.dump_pages:
                    Path(args.dump_pages, f"{label}-{variant}-{rnd}.txt").write_text(r.pop("page"))
                else:
                    r.pop("page")
                runs.setdefault((label, variant), []).append(r)
                run.log(f"{label} {variant} round {rnd}: {r['series']} series, kept-alive p50 "
                        f"{r['keepalive']['p50_ms']:.2f} p99 {r['keepalive']['p99_ms']:.2f} ms, fresh p50 "
                        f"{r['fresh']['p50_ms']:.2f} ms, CPU {r['cpu_ms_per_scrape']:.2f} ms/scrape, page "
                        f"{r['page_ms_median']:.2f} (collect {r['collect_ms_median']:.2f}, table "
                        f"{r['table_ms_median']:.2f}) ms")
                if r["perf_top"]:
                    print("\n".join(r["perf_top"]), flush=True)
        res["load_end"] = os.getloadavg()
        res["cells"] = [r for rs in runs.values() for r in rs]
        cols = ["exporter", "variant", "series", "kept-alive p50 ms", "kept-alive p99 ms", "fresh p50 ms",
                "fresh p99 ms", "CPU ms/scrape (kept-alive)", "CPU ms/scrape (fresh)",
                "CPU ms/scrape (spaced)", "idle CPU ms per 0.3 s", "page ms",
                "collect ms", "table ms", "rest of page ms", "outside page ms"]
        print(f"\nload average at start {res['load_start'][0]:.2f}, at end {res['load_end'][0]:.2f}; "
              f"medians over {args.rounds} rounds of {args.n} scrapes per mode\n")
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for (label, variant), rs in runs.items():
            m = lambda f: statistics.median(f(r) for r in rs)  # noqa: E731
            print(f"| {label} | {variant} | {rs[0]['series']} | {m(lambda r: r['keepalive']['p50_ms']):.2f} | "
                  f"{m(lambda r: r['keepalive']['p99_ms']):.2f} | {m(lambda r: r['fresh']['p50_ms']):.2f} | "
                  f"{m(lambda r: r['fresh']['p99_ms']):.2f} | {m(lambda r: r['cpu_ms_per_scrape']):.2f} | "
                  f"{m(lambda r: r['fresh_cpu_ms_per_scrape']):.2f} | "
                  f"{m(lambda r: r['spaced_cpu_ms_per_scrape'] or 0):.2f} | {m(lambda r: r['idle_cpu_ms_per_gap'] or 0):.3f} | "
                  f"{m(lambda r: r['page_ms_median']):.2f} | "
                  f"{m(lambda r: r['collect_ms_median']):.2f} | {m(lambda r: r['table_ms_median']):.2f} | "
                  f"{m(lambda r: r['rest_of_page_ms_median']):.2f} | {m(lambda r: r['outside_page_ms']):.2f} |")
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    finally:
        lab.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
