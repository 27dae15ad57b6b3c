#!/usr/bin/env python3
"""Structural check of the Grafana dashboard and provisioning files (no Grafana needed).

Checks grafana/dashboards/*.json against the classic dashboard JSON model of current
Grafana (schemaVersion 42, the last one of that model): required fields, panel types
without Angular, unique panel ids, a grid layout without overlaps, Prometheus targets that
use the `datasource` variable, the template variables `datasource`, `instance`, `netns`,
`zone` and `probe`, every `$variable` an expression uses defined (and multi-value
variables used only in regex matchers), no properties that Grafana's schema migrations
rewrite. Then grafana/provisioning/: a Prometheus data source and a file dashboard
provider whose path grafana/README.md mounts the dashboards at. Every expression must also
scan as PromQL (tests/tools/check_metric_refs.py).

Exit status 0 when everything is in order, 1 otherwise.
"""

import glob
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_metric_refs as refs  # noqa: E402

SOURCE_DIR = refs.SOURCE_DIR
SCHEMA_VERSION = 42
DS_REF = {"type": "prometheus", "uid": "${datasource}"}
REQUIRED_VARIABLES = ["datasource", "instance", "netns", "zone", "probe"]
PANEL_TYPES = {"row", "timeseries", "stat", "gauge", "bargauge", "table", "text", "heatmap",
               "state-timeline", "status-history", "piechart", "barchart", "histogram", "logs"}
BUILTIN_VARIABLES = set(refs.GRAFANA_INTERVALS) | {"__name", "__org", "__user", "__dashboard", "__from",
                                                   "__to", "__timezone"}


class Problems(list):
    def add(self, where, message):
        self.append("%s: %s" % (where, message))


def check_layout(panels, p, where):
    rects = []
    ids = set()
    for panel in panels:
        title = panel.get("title", "?")
        pid = panel.get("id")
        if not isinstance(pid, int):
            p.add(where, "panel %r has no integer id" % title)
        elif pid in ids:
            p.add(where, "panel id %d is used twice" % pid)
        ids.add(pid)
        g = panel.get("gridPos")
        if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in "xywh"):
            p.add(where, "panel %r has no integer gridPos x, y, w, h" % title)
            continue
        if g["w"] < 1 or g["h"] < 1 or g["x"] < 0 or g["y"] < 0 or g["x"] + g["w"] > 24:
            p.add(where, "panel %r lies outside the 24-column grid: %s" % (title, g))
        for other_title, o in rects:
            if (g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"]
                    and g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"]):
                p.add(where, "panels %r and %r overlap" % (other_title, title))
        rects.append((title, g))


def hide_from_problems(panel):
    out = []
    for o in (panel.get("fieldConfig") or {}).get("overrides", []) or []:
        for prop in o.get("properties", []) or []:
            v = prop.get("value")
            if prop.get("id") == "custom.hideFrom" and isinstance(v, dict) and v.get("viz") and not v.get("tooltip"):
                out.append("hideFrom.viz without hideFrom.tooltip (rewritten by schema migration 42)")
    return out


def check_dashboard(path, p):
    where = os.path.relpath(path, SOURCE_DIR)
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        p.add(where, "not readable JSON: %s" % e)
        return None
    for key, typ in (("title", str), ("uid", str), ("schemaVersion", int), ("panels", list),
                     ("templating", dict), ("time", dict), ("tags", list)):
        if not isinstance(d.get(key), typ):
            p.add(where, "top-level %r missing or not a %s" % (key, typ.__name__))
    if p:
        return None
    if d["schemaVersion"] != SCHEMA_VERSION:
        p.add(where, "schemaVersion %s, want %d" % (d["schemaVersion"], SCHEMA_VERSION))
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d["uid"]):
        p.add(where, "uid %r: at most 40 letters, digits, - and _" % d["uid"])
    if d.get("id") is not None:
        p.add(where, "id must be null in a provisioned dashboard")
    if not isinstance(d.get("refresh", ""), str):
        p.add(where, "refresh must be a string")
    if "time_options" in (d.get("timepicker") or {}):
        p.add(where, "timepicker.time_options is removed by schema migration 41")
    for key in ("from", "to"):
        if not isinstance(d["time"].get(key), str):
            p.add(where, "time.%s missing" % key)

    # Variables.
    variables = d["templating"].get("list", [])
    names = [v.get("name") for v in variables]
    for dup in {n for n in names if names.count(n) > 1}:
        p.add(where, "variable %r defined twice" % dup)
    by_name = {v.get("name"): v for v in variables}
    for req in REQUIRED_VARIABLES:
        if req not in by_name:
            p.add(where, "template variable %r missing" % req)
    ds = by_name.get("datasource")
    if ds and (ds.get("type") != "datasource" or ds.get("query") != "prometheus"):
        p.add(where, "variable datasource must be of type datasource with query prometheus")
    defined_before = set()
    for v in variables:
        name = v.get("name")
        vw = "%s: variable $%s" % (where, name)
        if v.get("type") == "query":
            if v.get("datasource") != DS_REF:
                p.add(vw, "datasource must be %s" % json.dumps(DS_REF))
            q = refs.variable_query(v)
            if not q:
                p.add(vw, "empty query")
            if v.get("refresh") not in (1, 2):
                p.add(vw, "refresh must be 1 (on load) or 2 (on time range change)")
            for used in refs.grafana_variables(q) - BUILTIN_VARIABLES:
                if used not in defined_before:
                    p.add(vw, "uses $%s, which is not defined before it" % used)
            if v.get("includeAll") and v.get("allValue") not in (".*", ".+"):
                p.add(vw, "includeAll needs allValue .* (or .+) for regex matchers")
        defined_before.add(name)
    multi = {v.get("name") for v in variables if v.get("multi") or v.get("includeAll")}

    # Panels.
    panels = list(refs.dashboard_panels(d))
    check_layout(panels, p, where)
    titles = [x.get("title") for x in panels if x.get("type") != "row"]
    for dup in {t for t in titles if titles.count(t) > 1}:
        p.add(where, "panel title %r used twice" % dup)
    for panel in panels:
        pw = "%s: panel %r" % (where, panel.get("title"))
        typ = panel.get("type")
        if typ not in PANEL_TYPES:
            p.add(pw, "type %r is not a core panel of current Grafana (Angular panels are gone)" % typ)
        if typ == "row":
            if panel.get("panels") and not panel.get("collapsed"):
                p.add(pw, "an open row keeps its panels at the top level")
            continue
        if not panel.get("title"):
            p.add(pw, "no title")
        if not panel.get("description"):
            p.add(pw, "no description (the on-call engineer reads it)")
        if panel.get("datasource") != DS_REF:
            p.add(pw, "datasource must be %s" % json.dumps(DS_REF))
        for msg in hide_from_problems(panel):
            p.add(pw, msg)
        targets = panel.get("targets") or []
        if not targets and typ != "text":
            p.add(pw, "no targets")
        ref_ids = [t.get("refId") for t in targets]
        if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
            p.add(pw, "refIds must be present and unique: %s" % ref_ids)
        for t in targets:
            tw = "%s target %s" % (pw, t.get("refId"))
            if t.get("datasource") != DS_REF:
                p.add(tw, "datasource must be %s" % json.dumps(DS_REF))
            expr = t.get("expr", "")
            if not expr.strip():
                p.add(tw, "empty expr")
                continue
            used = refs.grafana_variables(expr) | refs.grafana_variables(t.get("legendFormat", ""))
            for u in used - BUILTIN_VARIABLES - set(names):
                p.add(tw, "uses undefined variable $%s" % u)
            for u in used & multi:
                # A multi-value or All variable expands to a regex: only =~ / !~ can take it.
                for m in re.finditer(r'([=!]~?)\s*"[^"]*\$\{?%s\b' % re.escape(u), expr):
                    if m.group(1) in ("=", "!="):
                        p.add(tw, "multi-value variable $%s needs a regex matcher (=~), not %s" % (u, m.group(1)))
            try:
                refs.analyze(refs.substitute(expr))
            except refs.PromQLError as e:
                p.add(tw, str(e))
    return d


def check_provisioning(p):
    base = os.path.join(SOURCE_DIR, "grafana", "provisioning")
    ds_files = sorted(glob.glob(os.path.join(base, "datasources", "*.yaml")))
    db_files = sorted(glob.glob(os.path.join(base, "dashboards", "*.yaml")))
    if not ds_files:
        p.add("grafana/provisioning/datasources", "no data source file")
    if not db_files:
        p.add("grafana/provisioning/dashboards", "no dashboard provider file")
    for path in ds_files:
        w = os.path.relpath(path, SOURCE_DIR)
        doc = yaml.safe_load(open(path)) or {}
        if doc.get("apiVersion") != 1:
            p.add(w, "apiVersion must be 1")
        dss = doc.get("datasources") or []
        if not any(x.get("type") == "prometheus" and x.get("name") and x.get("url") for x in dss):
            p.add(w, "no Prometheus data source with a name and url")
    paths = []
    for path in db_files:
        w = os.path.relpath(path, SOURCE_DIR)
        doc = yaml.safe_load(open(path)) or {}
        if doc.get("apiVersion") != 1:
            p.add(w, "apiVersion must be 1")
        for prov in doc.get("providers") or []:
            if prov.get("type") != "file":
                p.add(w, "provider %r: type must be file" % prov.get("name"))
            path_opt = (prov.get("options") or {}).get("path")
            if not path_opt:
                p.add(w, "provider %r: options.path missing" % prov.get("name"))
            else:
                paths.append(path_opt)
    readme = os.path.join(SOURCE_DIR, "grafana", "README.md")
    try:
        text = open(readme).read()
    except OSError:
        p.add("grafana/README.md", "missing")
        return
    for path_opt in paths:
        # The README's mount of grafana/ must put the dashboards where the provider looks.
        if path_opt not in text:
            p.add("grafana/README.md", "does not mention the provider path %s" % path_opt)


def main():
    p = Problems()
    dashboards = sorted(glob.glob(os.path.join(SOURCE_DIR, "grafana", "dashboards", "*.json")))
    if not dashboards:
        p.add("grafana/dashboards", "no dashboard")
    for path in dashboards:
        check_dashboard(path, p)
    check_provisioning(p)
    for line in p:
        print(line)
    print("%d dashboard(s) checked: %d problem(s)" % (len(dashboards), len(p)))
    return 1 if p else 0


if __name__ == "__main__":
    sys.exit(main())
