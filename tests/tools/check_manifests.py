#!/usr/bin/env python3
"""Checks deploy/kubernetes/*.yaml against the real binary and docs/security.md, without a
cluster: every manifest parses; every flag a container passes exists in `--help`; the
container port and the probes' path are the binary's defaults; the Service and the
ServiceMonitor point at that port and the metrics path; the capabilities added are exactly
the ones docs/security.md documents; nothing runs privileged.

usage: check_manifests.py NFCT_EXPORTER_BINARY"""

import glob
import os
import re
import subprocess
import sys

import yaml

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def fail(msg):
    print("check_manifests: " + msg, file=sys.stderr)
    sys.exit(1)


def binary_facts(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        fail("%s --help exited with %d: %s" % (binary, out.returncode, out.stderr))
    text = out.stdout
    flags = set(re.findall(r"(--[a-z][a-z0-9.-]*)", text))
    m = re.search(r"--web\.listen-address.*?default [0-9.]*:(\d+)", text, re.S)
    if not m:
        fail("--help does not state the default listen port")
    port = int(m.group(1))
    m = re.search(r"--web\.telemetry-path.*?default (/\S*?)\)", text, re.S)
    if not m:
        fail("--help does not state the default metrics path")
    metrics_path = m.group(1)
    if "/healthz" not in text:
        fail("--help does not name the /healthz endpoint")
    return flags, port, metrics_path


def documented_capabilities():
    """The capabilities line of docs/security.md: `Kubernetes: CAP_X, CAP_Y`."""
    with open(os.path.join(SOURCE_DIR, "docs", "security.md")) as f:
        text = f.read()
    m = re.search(r"^Capabilities of the default configuration: (.*)$", text, re.M)
    if not m:
        fail("docs/security.md has no 'Capabilities of the default configuration:' line")
    return {c.strip("` .") for c in m.group(1).split(",")}


def check_container(where, c, flags, port, caps):
    for a in c.get("args", []) + c.get("command", [])[1:]:
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if name not in flags:
                fail("%s: flag %s is not in the binary's --help" % (where, name))
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    if ports.get("metrics") != port:
        fail("%s: container port 'metrics' is %s, the binary's default is %d" % (where, ports.get("metrics"), port))
    for probe in ("readinessProbe", "livenessProbe"):
        get = c.get(probe, {}).get("httpGet")
        if not get or get.get("path") != "/healthz" or get.get("port") not in ("metrics", port):
            fail("%s: %s must be an httpGet of /healthz on the metrics port: %s" % (where, probe, get))
    sc = c.get("securityContext", {})
    if sc.get("privileged"):
        fail("%s: runs privileged" % where)
    if sc.get("allowPrivilegeEscalation", True):
        fail("%s: allowPrivilegeEscalation is not false" % where)
    added = {"CAP_" + x for x in sc.get("capabilities", {}).get("add", [])}
    if sc.get("capabilities", {}).get("drop") != ["ALL"]:
        fail("%s: capabilities.drop must be [ALL]" % where)
    if added != caps:
        fail("%s: capabilities added %s, documented %s" % (where, sorted(added), sorted(caps)))
    res = c.get("resources", {})
    for kind in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(res.get(kind, {})):
            fail("%s: resources.%s needs cpu and memory" % (where, kind))


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    flags, port, metrics_path = binary_facts(sys.argv[1])
    caps = documented_capabilities()
    files = sorted(glob.glob(os.path.join(SOURCE_DIR, "deploy", "kubernetes", "*.yaml")))
    if not files:
        fail("no manifests")
    daemonsets = 0
    for path in files:
        name = os.path.relpath(path, SOURCE_DIR)
        with open(path) as f:
            try:
                docs = [d for d in yaml.safe_load_all(f) if d]
            except yaml.YAMLError as e:
                fail("%s: %s" % (name, e))
        for d in docs:
            kind = d.get("kind")
            where = "%s: %s %s" % (name, kind, d.get("metadata", {}).get("name"))
            if kind == "DaemonSet":
                daemonsets += 1
                spec = d["spec"]["template"]["spec"]
                if not (spec.get("hostPID") and spec.get("hostNetwork")):
                    fail("%s: needs hostPID and hostNetwork" % where)
                for c in spec["containers"]:
                    check_container(where, c, flags, port, caps)
                mounts = {v["name"] for c in spec["containers"] for v in c.get("volumeMounts", [])}
                volumes = {v["name"]: v for v in spec.get("volumes", [])}
                if mounts != set(volumes):
                    fail("%s: volumes %s but mounts %s" % (where, sorted(volumes), sorted(mounts)))
                host = sorted(v["hostPath"]["path"] for v in volumes.values() if "hostPath" in v)
                if host != ["/run/netns"]:
                    fail("%s: host paths %s; only /run/netns is needed" % (where, host))
            elif kind == "Service":
                ports = {p["name"]: p for p in d["spec"]["ports"]}
                if ports.get("metrics", {}).get("port") != port:
                    fail("%s: port 'metrics' is not %d" % (where, port))
            elif kind == "ServiceMonitor":
                for ep in d["spec"]["endpoints"]:
                    if ep.get("port") != "metrics" or ep.get("path") != metrics_path:
                        fail("%s: endpoint %s is not port 'metrics', path %s" % (where, ep, metrics_path))
    if daemonsets < 2:
        fail("expected the DaemonSet and its TLS variant, found %d DaemonSets" % daemonsets)
    print("check_manifests: %d files, %d DaemonSets agree with %s and docs/security.md"
          % (len(files), daemonsets, sys.argv[1]))


if __name__ == "__main__":
    main()
