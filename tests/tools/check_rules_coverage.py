#!/usr/bin/env python3
"""Checks that the promtool unit tests cover every rule and that every alert is documented.

- every alert of config/prometheus/alerting_rules.yml is tested firing (an alert_rule_test
  with expected alerts) and not firing (one with `exp_alerts: []`) in
  config/prometheus/tests/*.yml;
- every recording rule of config/prometheus/recording_rules.yml is the subject of a
  promql_expr_test with expected samples;
- every alert has a severity (critical, warning, info), a summary, a description and a
  runbook_url `docs/runbook.md#<alertname in lower case>`, and docs/runbook.md has a
  section `## <AlertName>` with the parts Meaning, Impact, Diagnosis and Fix.

Exit status 0 when all is covered, 1 otherwise.
"""

import glob
import os
import re
import sys

import yaml

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RULES_DIR = os.path.join(SOURCE_DIR, "config", "prometheus")
RUNBOOK = os.path.join(SOURCE_DIR, "docs", "runbook.md")
SEVERITIES = {"critical", "warning", "info"}
RUNBOOK_PARTS = ["Meaning", "Impact", "Diagnosis", "Fix"]


def load(path):
    with open(path) as f:
        return yaml.safe_load(f) or {}


def rules(kind):
    out = []
    for path in sorted(glob.glob(os.path.join(RULES_DIR, "*rules*.yml"))):
        for g in load(path).get("groups", []):
            for r in g.get("rules", []):
                if kind in r:
                    out.append(r)
    return out


def runbook_sections():
    try:
        with open(RUNBOOK) as f:
            text = f.read()
    except OSError:
        return None
    sections = {}
    for m in re.finditer(r"^## (\S+)\s*$(.*?)(?=^## |\Z)", text, re.M | re.S):
        sections[m.group(1)] = m.group(2)
    return sections


def main():
    problems = []
    alerts = rules("alert")
    records = rules("record")
    if not alerts or not records:
        problems.append("no alerting or no recording rules found in %s" % RULES_DIR)

    firing, silent, tested_exprs = set(), set(), []
    for path in sorted(glob.glob(os.path.join(RULES_DIR, "tests", "*.yml"))):
        for t in load(path).get("tests", []) or []:
            for a in t.get("alert_rule_test", []) or []:
                (firing if a.get("exp_alerts") else silent).add(a.get("alertname"))
            for e in t.get("promql_expr_test", []) or []:
                if e.get("exp_samples"):
                    tested_exprs.append(e.get("expr", ""))

    sections = runbook_sections()
    if sections is None:
        problems.append("docs/runbook.md is missing")
        sections = {}

    names = [a["alert"] for a in alerts]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append("alert %s is defined twice" % dup)
    for a in alerts:
        name = a["alert"]
        if name not in firing:
            problems.append("alert %s: no promtool test where it fires" % name)
        if name not in silent:
            problems.append("alert %s: no promtool test where it does not fire (exp_alerts: [])" % name)
        sev = (a.get("labels") or {}).get("severity")
        if sev not in SEVERITIES:
            problems.append("alert %s: severity %r, want one of %s" % (name, sev, sorted(SEVERITIES)))
        ann = a.get("annotations") or {}
        for key in ("summary", "description", "runbook_url"):
            if not str(ann.get(key, "")).strip():
                problems.append("alert %s: no %s annotation" % (name, key))
        want_url = "docs/runbook.md#" + name.lower()
        if ann.get("runbook_url") != want_url:
            problems.append("alert %s: runbook_url %r, want %r" % (name, ann.get("runbook_url"), want_url))
        body = sections.get(name)
        if body is None:
            problems.append("docs/runbook.md: no section '## %s'" % name)
        else:
            for part in RUNBOOK_PARTS:
                if not re.search(r"^\*\*%s\b|^### %s\b" % (part, part), body, re.M):
                    problems.append("docs/runbook.md: section %s has no %s" % (name, part))
    for extra in sorted(set(sections) - set(names)):
        problems.append("docs/runbook.md: section %s documents no alert" % extra)

    for r in records:
        name = r["record"]
        pat = re.compile(r"(?<![\w:])%s(?![\w:])" % re.escape(name))
        if not any(pat.search(e) for e in tested_exprs):
            problems.append("recording rule %s: no promql_expr_test with expected samples" % name)

    for p in problems:
        print(p)
    print("%d alerts, %d recording rules: %d problem(s)" % (len(alerts), len(records), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
