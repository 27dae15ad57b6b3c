#!/usr/bin/env python3
"""Checks that the Grafana dashboard and the Prometheus rules only use metrics and labels
that nfct_exporter serves.

Every PromQL expression of grafana/dashboards/*.json (panel targets and template variable
queries) and config/prometheus/*rules*.yml is read with a small PromQL scanner that finds
each selector's metric name and label matchers, the labels of by/without/on/ignoring/
group_left/group_right, the source labels of label_replace/label_join, and the labels a
panel's legend shows ({{label}}). They are compared with a catalog of what the exporter
serves:

  --metrics FILE|URL   a scrape of a running exporter (exact: every metric with its labels
                       and the label values it showed); the privileged integration test
                       tests/integration/test_dashboard_prometheus.py uses this mode
  (default)            the C++ source in exporter/ (no root): metric names from the family
                       definitions, label names from the label sets the code builds (one set
                       for all metrics), enumerated values (state, bit, direction) from
                       ct_names.cpp

Not counted as errors: names the rules record themselves, Prometheus's own series (up,
scrape_duration_seconds, ...), the target labels instance and job. Metrics of a feature
that the exporter does not have yet (the conntrack table statistics and per-zone entries
of issue 6) are reported as "pending" until it serves them; from then on they are checked
like every other metric.

Exit status: 0 when nothing is wrong, 1 when something is, 2 on bad usage.
"""

import argparse
import glob
import json
import os
import re
import sys
import urllib.request

import yaml

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

TARGET_LABELS = {"instance", "job"}

# Series that Prometheus makes itself, with their labels.
BUILTIN = {
    "up": set(),
    "scrape_duration_seconds": set(),
    "scrape_samples_scraped": set(),
    "scrape_samples_post_metric_relabeling": set(),
    "scrape_series_added": set(),
    "ALERTS": {"alertname", "alertstate", "severity"},
    "ALERTS_FOR_STATE": {"alertname", "severity"},
}

# Metrics of features that the exporter may not have yet (issue 6: conntrack table
# statistics and per-zone entry counts over ctnetlink), with the labels they will carry.
# Each feature is known to be present when its marker metric is served (scrape) or defined
# (source).
PENDING_FEATURES = {
    "table_stats": {
        "marker": "nfct_table_read_errors_total",
        "metrics": dict(
            {"nfct_table_entries": {"netns"}, "nfct_table_max_entries": {"netns"},
             "nfct_expect_entries": {"netns"}, "nfct_table_read_success": {"netns"},
             "nfct_table_read_errors_total": set(), "nfct_table_read_duration_seconds": set()},
            **{"nfct_table_%s_total" % s: {"netns", "cpu"} for s in (
                "found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error",
                "search_restart", "clash_resolve", "chaintoolong")},
            **{"nfct_expect_%s_total" % s: {"netns", "cpu"} for s in ("new", "create", "delete")}),
        # Labels that only some configurations add (table_stats.per_cpu: true).
        "config_labels": {"cpu"},
        # Counters that only newer kernels report: absent on an older kernel is no error.
        "kernel_optional": {"nfct_table_search_restart_total", "nfct_table_clash_resolve_total",
                            "nfct_table_chaintoolong_total"},
    },
    "zone_entries": {
        "marker": "nfct_zone_dumps_total",
        "metrics": {
            "nfct_zone_entries": {"netns", "zone", "direction", "protocol", "tcp_state"},
            "nfct_zone_unlabeled_entries": {"netns"}, "nfct_zone_dump_entries": {"netns"},
            "nfct_zone_dump_duration_seconds": {"netns"},
            "nfct_zone_dump_last_success_timestamp_seconds": {"netns"},
            "nfct_zone_dump_age_seconds": {"netns"}, "nfct_zone_dumps_total": set(),
            "nfct_zone_dump_errors_total": {"reason"},
        },
        "config_labels": set(),
        "kernel_optional": set(),
    },
}

# Labels whose values form a closed set: equality matchers on them are checked.
CLOSED_LABELS = {"state", "bit", "direction", "map", "reason", "protocol", "tcp_state"}

# The drop probe: its `reason` values are the running kernel's drop reasons
# (enum skb_drop_reason, read from its BTF at start-up), an open set; its `state` has the
# packet counters' states plus no_conntrack.
# The same for the recording rules made from them.
_DROP_SERIES = ("nfct_drop_packets_total", "nfct_drop_bytes_total",
                "netns_reason_state:nfct_drop_packets:rate5m")
OPEN_LABELS = {n: {"reason"} for n in _DROP_SERIES}
EXTRA_VALUES = {(n, "state"): {"no_conntrack"} for n in _DROP_SERIES}

GROUPING_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
OTHER_KEYWORDS = {"bool", "offset", "and", "or", "unless", "atan2", "inf", "nan"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile"}

# Grafana's built-in interval variables and what a check substitutes for them.
GRAFANA_INTERVALS = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h",
                     "__range_s": "3600", "__range_ms": "3600000", "__interval_ms": "60000"}


class PromQLError(Exception):
    pass


# --------------------------------------------------------------------------- PromQL

_TOKEN = re.compile(r"""
  (?P<ws>\s+|\#[^\n]*)
 |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
 |(?P<duration>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*(?![\w.]))
 |(?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
 |(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
 |(?P<op>==|!=|>=|<=|=~|!~|[-+*/%^=<>(){}\[\],@:])
""", re.X)


def _unquote(s):
    if s[0] == "`":
        return s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s[1:-1])


def tokenize(expr):
    out, pos = [], 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise PromQLError("unexpected character %r at %d in: %s" % (expr[pos], pos, expr))
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        val = m.group(kind)
        out.append((kind, _unquote(val) if kind == "string" else val))
    return out


class Refs:
    """What one expression refers to."""

    def __init__(self):
        self.selectors = []   # [(metric name or None, [(label, op, value)])]
        self.grouping = set()  # labels of by/without/on/ignoring/group_*
        self.label_args = set()  # source labels of label_replace / label_join
        self.created = set()  # labels the expression makes (label_replace dst, count_values)

    @property
    def metrics(self):
        return {n for n, _ in self.selectors if n}


def analyze(expr):
    """Refs of a PromQL expression (Grafana variables already substituted)."""
    toks = tokenize(expr)
    refs = Refs()
    n = len(toks)
    stack = []  # call frames: [function name or None, argument index]
    pending_func = None

    def peek(j):
        return toks[j] if j < n else (None, None)

    def label_list(j):
        # toks[j] is "(": IDENT (, IDENT)* ")"; returns (labels, index after ")")
        labels = []
        j += 1
        while True:
            kind, val = peek(j)
            if (kind, val) == ("op", ")"):
                return labels, j + 1
            if kind == "ident":
                labels.append(val)
            elif (kind, val) != ("op", ","):
                raise PromQLError("bad label list near %r in: %s" % (val, expr))
            j += 1

    def matchers(j):
        # toks[j] is "{": (IDENT op STRING ,?)* "}"
        out = []
        j += 1
        while True:
            kind, val = peek(j)
            if (kind, val) == ("op", "}"):
                return out, j + 1
            if (kind, val) == ("op", ","):
                j += 1
                continue
            op, value = peek(j + 1), peek(j + 2)
            if kind != "ident" or op[0] != "op" or op[1] not in ("=", "!=", "=~", "!~") or value[0] != "string":
                raise PromQLError("bad label matcher near %r in: %s" % (val, expr))
            out.append((val, op[1], value[1]))
            j += 3

    i = 0
    while i < n:
        kind, val = toks[i]
        if kind == "ident":
            nxt = peek(i + 1)
            if val in GROUPING_KEYWORDS:
                if nxt == ("op", "("):
                    labels, i = label_list(i + 1)
                    refs.grouping.update(labels)
                else:
                    i += 1
                continue
            if val.lower() in OTHER_KEYWORDS:
                i += 1
                continue
            if nxt == ("op", "("):
                pending_func = val
                i += 1
                continue
            if val in AGGREGATIONS and nxt[0] == "ident" and nxt[1] in ("by", "without"):
                pending_func = val
                i += 1
                continue
            i += 1
            m = []
            if peek(i) == ("op", "{"):
                m, i = matchers(i)
            refs.selectors.append((val, m))
            continue
        if kind == "op":
            if val == "{":
                m, i = matchers(i)
                names = [v for l, o, v in m if l == "__name__" and o == "="]
                refs.selectors.append((names[0] if names else None, m))
                continue
            if val == "(":
                stack.append([pending_func, 0])
                pending_func = None
            elif val == ")":
                if not stack:
                    raise PromQLError("unbalanced ) in: %s" % expr)
                stack.pop()
            elif val == ",":
                if stack:
                    stack[-1][1] += 1
            elif val == "[":
                while i < n and toks[i] != ("op", "]"):
                    i += 1
        elif kind == "string" and stack and stack[-1][0]:
            func, arg = stack[-1]
            if func == "label_replace":
                if arg == 1:
                    refs.created.add(val)
                elif arg == 3:
                    refs.label_args.add(val)
            elif func == "label_join":
                if arg == 1:
                    refs.created.add(val)
                elif arg >= 3:
                    refs.label_args.add(val)
            elif func == "count_values" and arg == 0:
                refs.created.add(val)
        i += 1
    if stack:
        raise PromQLError("unbalanced ( in: %s" % expr)
    return refs


_VAR = re.compile(r"\$\{([a-zA-Z_]\w*)(?::\w+)?\}|\$([a-zA-Z_]\w*)|\[\[([a-zA-Z_]\w*)(?::\w+)?\]\]")


def grafana_variables(expr):
    """Names of the Grafana variables an expression uses."""
    return {m.group(1) or m.group(2) or m.group(3) for m in _VAR.finditer(expr)}


def substitute(expr, values=None, default=".*"):
    """Replaces Grafana variables: built-in intervals by durations, others by values[name]
    (a string) or `default`."""
    values = values or {}

    def rep(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in values:
            return values[name]
        if name in GRAFANA_INTERVALS:
            return GRAFANA_INTERVALS[name]
        return default

    return _VAR.sub(rep, expr)


_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def legend_labels(legend):
    return set(_LEGEND.findall(legend or ""))


# --------------------------------------------------------------------------- sources of expressions

class Item:
    """One PromQL expression with where it comes from."""

    def __init__(self, origin, expr, kind, legend="", instant=False, record=None, var_label=None, panel=None):
        self.origin = origin
        self.expr = expr          # with Grafana variables, as written
        self.kind = kind          # "panel", "variable", "record", "alert"
        self.legend = legend
        self.instant = instant
        self.record = record      # name recorded by a recording rule
        self.var_label = var_label  # label_values(..., LABEL) of a variable query
        self.panel = panel

    def __repr__(self):
        return "Item(%s)" % self.origin


def dashboard_panels(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:
            yield q


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)


def variable_query(v):
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    return q or ""


def dashboard_items(path):
    with open(path) as f:
        dash = json.load(f)
    base = os.path.relpath(path, SOURCE_DIR)
    items = []
    for p in dashboard_panels(dash):
        for t in p.get("targets", []) or []:
            if "expr" not in t:
                continue
            items.append(Item("%s: panel %r target %s" % (base, p.get("title"), t.get("refId")), t["expr"],
                              "panel", legend=t.get("legendFormat", ""), instant=bool(t.get("instant")), panel=p))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = variable_query(v)
        origin = "%s: variable $%s" % (base, v.get("name"))
        m = _LABEL_VALUES.match(q)
        if m:
            items.append(Item(origin, m.group(1) or "", "variable", var_label=m.group(2)))
            continue
        m = _QUERY_RESULT.match(q)
        if m:
            items.append(Item(origin, m.group(1), "variable"))
            continue
        items.append(Item(origin, q, "variable-unknown"))
    return items


def rule_items(path):
    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    base = os.path.relpath(path, SOURCE_DIR)
    items = []
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            if "record" in r:
                items.append(Item("%s: record %s" % (base, r["record"]), r["expr"], "record", record=r["record"]))
            else:
                items.append(Item("%s: alert %s" % (base, r["alert"]), r["expr"], "alert"))
    return items


def default_files(source_dir=SOURCE_DIR):
    dashboards = sorted(glob.glob(os.path.join(source_dir, "grafana", "dashboards", "*.json")))
    rules = sorted(glob.glob(os.path.join(source_dir, "config", "prometheus", "*rules*.yml")))
    return dashboards, rules


def all_items(source_dir=SOURCE_DIR):
    dashboards, rules = default_files(source_dir)
    items = []
    for d in dashboards:
        items += dashboard_items(d)
    for r in rules:
        items += rule_items(r)
    return items


# --------------------------------------------------------------------------- catalogs

class Catalog:
    """What the exporter serves: {metric: {label: set of values seen}}, plus enumerations."""

    def __init__(self, metrics, enums, mode):
        self.metrics = metrics
        self.enums = enums  # {label: set of allowed values}
        self.mode = mode    # "scrape" or "source"
        self.features = {f for f, d in PENDING_FEATURES.items() if d["marker"] in metrics}

    def labels(self, name):
        return set(self.metrics.get(name, {}))

    def values(self, name, label):
        return self.metrics.get(name, {}).get(label, set())


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+(?:\s+-?\d+)?$")
_SAMPLE_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_exposition(text):
    """{metric: {label: set(values)}} of a Prometheus text exposition."""
    metrics = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError("unparsable exposition line: %r" % line)
        labels = metrics.setdefault(m.group(1), {})
        for lm in _SAMPLE_LABEL.finditer(m.group(2) or ""):
            labels.setdefault(lm.group(1), set()).add(lm.group(2))
    return metrics


def source_enums(source_dir=SOURCE_DIR):
    """Closed label value sets from exporter/names/ct_names.cpp."""
    path = os.path.join(source_dir, "exporter", "names", "ct_names.cpp")
    enums = {}
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return enums
    for label, array in (("state", "kStates"), ("bit", "kBits"), ("direction", "kZoneDirs")):
        m = re.search(r"%s\s*=\s*\{(.*?)\};" % array, text, re.S)
        if m:
            enums[label] = {v for v in re.findall(r'"([^"]*)"', m.group(1)) if v}
    return enums


def _function_strings(text, func):
    m = re.search(r"\b%s\s*\([^)]*\)\s*\{(.*?)\n\}" % re.escape(func), text, re.S)
    return re.findall(r'return\s+"([a-z_]+)"', m.group(1)) if m else []


def source_catalog(source_dir=SOURCE_DIR):
    """The metric names the exporter's C++ source defines; label names (one set for all
    metrics) from the label initialisers in the same files."""
    files = sorted(glob.glob(os.path.join(source_dir, "exporter", "**", "*.cpp"), recursive=True) +
                   glob.glob(os.path.join(source_dir, "exporter", "**", "*.h"), recursive=True))
    names, labels = set(), set()
    literal = {}
    stat_names = {}
    for path in files:
        with open(path) as f:
            text = f.read()
        for fn in ("ct_stat_name", "exp_stat_name"):
            found = _function_strings(text, fn)
            if found:
                stat_names[fn] = found
    for path in files:
        with open(path) as f:
            text = f.read()
        defined = re.findall(r'\b(?:make_family|family|scalar)\(\s*"(nfct_[a-z0-9_]+)"', text)
        # A family name shared by its prometheus-cpp builder and its direct text renderer:
        # inline constexpr const char* kDropPacketsName = "nfct_drop_packets_total";
        defined += re.findall(r'\bk\w*Name\s*=\s*"(nfct_[a-z0-9_]+)"', text)
        if not defined and "StatFamilies" not in text:
            continue
        names.update(defined)
        # Families named from kernel statistics: StatFamilies x("nfct_table_", false, ...)
        for prefix, expect in re.findall(r'StatFamilies\s+\w+\(\s*"(nfct_[a-z_]+)"\s*,\s*(true|false)', text):
            for s in stat_names.get("exp_stat_name" if expect == "true" else "ct_stat_name", []):
                names.add("%s%s_total" % (prefix, s))
        # Label names: {"name", value} pairs whose value is not a help text.
        labels.update(re.findall(r'\{\s*"([a-z_][a-z0-9_]*)"\s*,(?!\s*"[A-Z])', text))
        # Literal values of closed labels: {"map", "counters"}, {"reason", "timeout"}.
        for label, value in re.findall(r'\{\s*"([a-z_]+)"\s*,\s*"([a-z0-9_]+)"\s*\}', text):
            if label in CLOSED_LABELS:
                literal.setdefault(label, set()).add(value)
    labels -= names
    metrics = {n: {l: set() for l in labels} for n in names}
    enums = source_enums(source_dir)
    for label, values in literal.items():
        enums.setdefault(label, set()).update(values)
    return Catalog(metrics, enums, "source")


def scrape_catalog(text, source_dir=SOURCE_DIR):
    metrics = parse_exposition(text)
    enums = source_enums(source_dir)
    for name, labels in metrics.items():
        for label, values in labels.items():
            if label in CLOSED_LABELS:
                enums.setdefault(label, set()).update(values)
    return Catalog(metrics, enums, "scrape")


# --------------------------------------------------------------------------- the check

class Finding:
    def __init__(self, level, origin, message):
        self.level = level  # "error", "pending", "warning"
        self.origin = origin
        self.message = message

    def __str__(self):
        return "%s: %s: %s" % (self.level, self.origin, self.message)

    def __repr__(self):
        return str(self)


def _pending_feature(name):
    for f, d in PENDING_FEATURES.items():
        if name in d["metrics"]:
            return f
    return None


def _literal_values(op, value):
    """The literal label values a matcher names, or None when it is a real regex."""
    if op in ("=", "!="):
        return [value] if value else []
    alts = value.split("|")
    if all(re.fullmatch(r"[A-Za-z0-9_:\-]+", a) for a in alts):
        return alts
    return None


class Checker:
    def __init__(self, catalog, items):
        self.catalog = catalog
        self.items = items
        self.findings = []
        self._seen = set()
        self.recorded = {}   # record name -> labels it can carry
        self.pending = set()  # metric names referenced but pending
        for it in items:
            if it.kind == "record":
                self.recorded[it.record] = None

    def add(self, level, origin, message):
        if (level, origin, message) not in self._seen:
            self._seen.add((level, origin, message))
            self.findings.append(Finding(level, origin, message))

    def metric_labels(self, name, origin):
        """Labels a metric carries, or None when it cannot be known (pending)."""
        c = self.catalog
        if name in c.metrics:
            feature = _pending_feature(name)
            optional = set()
            if feature:
                d = PENDING_FEATURES[feature]
                optional = d["config_labels"] & d["metrics"][name]
            return c.labels(name) | TARGET_LABELS | optional
        if name in BUILTIN:
            return BUILTIN[name] | TARGET_LABELS
        if name in self.recorded:
            return self.recorded_labels(name)
        feature = _pending_feature(name)
        if feature:
            d = PENDING_FEATURES[feature]
            if feature not in c.features:
                # Issue 6 has landed: a missing table or zone metric is a regression.
                self.pending.add(name)
                self.add("error", origin, "%s is not served (feature %s)" % (name, feature))
                return d["metrics"][name] | TARGET_LABELS
            if name in d["kernel_optional"] and c.mode == "scrape":
                self.add("warning", origin, "%s is not served (the kernel does not report it)" % name)
                return d["metrics"][name] | TARGET_LABELS
        self.add("error", origin, "metric %s is not served by the exporter" % name)
        return None

    def recorded_labels(self, name):
        labels = self.recorded.get(name)
        if labels is None:
            self.recorded[name] = set(TARGET_LABELS)  # breaks cycles
            it = next(i for i in self.items if i.kind == "record" and i.record == name)
            refs = analyze(substitute(it.expr))
            labels = set(TARGET_LABELS) | refs.created
            for metric in refs.metrics:
                labels |= self.metric_labels(metric, it.origin) or set()
            self.recorded[name] = labels
        return labels

    def check_item(self, it):
        expr = substitute(it.expr)
        try:
            refs = analyze(expr) if expr.strip() else Refs()
        except PromQLError as e:
            self.add("error", it.origin, str(e))
            return
        known = set(TARGET_LABELS) | refs.created
        unknown_metric = False
        for name, matchers in refs.selectors:
            if name is None:
                self.add("error", it.origin, "selector without a metric name: %s" % expr)
                continue
            labels = self.metric_labels(name, it.origin)
            if labels is None:
                unknown_metric = True
                continue
            known |= labels
            for label, op, value in matchers:
                if label == "__name__":
                    continue
                if label not in labels:
                    self.add("error", it.origin, "metric %s has no label %r (it has: %s)"
                             % (name, label, ", ".join(sorted(labels))))
                    continue
                self.check_values(it.origin, name, label, op, value)
        if unknown_metric:
            return
        wanted = [("grouping", refs.grouping), ("label_replace/label_join source", refs.label_args),
                  ("legend", legend_labels(it.legend))]
        if it.var_label:
            wanted.append(("label_values", {it.var_label}))
        for what, labels in wanted:
            for label in sorted(labels - known):
                self.add("error", it.origin, "%s label %r is on none of the metrics of: %s" % (what, label, expr))

    def check_values(self, origin, name, label, op, value):
        if label not in CLOSED_LABELS or label in OPEN_LABELS.get(name, ()):
            return
        allowed = set(self.catalog.enums.get(label, set())) | self.catalog.values(name, label)
        allowed |= EXTRA_VALUES.get((name, label), set())
        if not allowed:
            return
        literal = _literal_values(op, value)
        if literal is None:
            return
        for v in literal:
            if v not in allowed:
                self.add("error", origin, "%s{%s%s%r}: %r is not a value of %s (known: %s)"
                         % (name, label, op, value, v, label, ", ".join(sorted(allowed))))

    def run(self):
        for it in self.items:
            if it.kind == "variable-unknown":
                self.add("error", it.origin, "variable query is neither label_values(...) nor "
                         "query_result(...): %r" % it.expr)
                continue
            self.check_item(it)
        return self.findings


def check(catalog, items):
    return Checker(catalog, items).run()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source-dir", default=SOURCE_DIR, help="repository root (default: this checkout)")
    ap.add_argument("--metrics", help="a scrape of a running exporter: a file, or an http:// URL")
    ap.add_argument("--quiet", action="store_true", help="print errors only")
    args = ap.parse_args(argv)

    if args.metrics:
        if args.metrics.startswith(("http://", "https://")):
            with urllib.request.urlopen(args.metrics, timeout=10) as r:
                text = r.read().decode()
        else:
            with open(args.metrics) as f:
                text = f.read()
        catalog = scrape_catalog(text, args.source_dir)
    else:
        catalog = source_catalog(args.source_dir)
    if not catalog.metrics:
        print("no metrics found in the %s catalog" % catalog.mode, file=sys.stderr)
        return 1
    items = all_items(args.source_dir)
    if not items:
        print("no dashboards or rules found under %s" % args.source_dir, file=sys.stderr)
        return 1
    findings = check(catalog, items)
    errors = [f for f in findings if f.level == "error"]
    for f in findings:
        if f.level == "error" or not args.quiet:
            print(f)
    print("%d expressions checked against the %s catalog (%d metrics): %d errors, %d pending, %d warnings"
          % (len(items), catalog.mode, len(catalog.metrics), len(errors),
             sum(f.level == "pending" for f in findings), sum(f.level == "warning" for f in findings)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
