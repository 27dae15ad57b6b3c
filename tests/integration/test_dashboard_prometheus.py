"""The Grafana dashboard and the Prometheus rules against a real Prometheus.

One exporter counts packets in three namespaces of this test: `cli` (conntrack on, NAT,
a conntrack zone, notrack), `srv` (conntrack on) and `plain` (no conntrack at all). A
Prometheus server from Debian's package, configured from config/prometheus/prometheus.yml
(scrape and rule evaluation every second, the rules of config/prometheus/), scrapes it on
loopback while test traffic flows: ping, UDP with and without answers, TCP, source and
destination NAT, zone 7, untracked packets, packets without conntrack.

Then every PromQL expression of the dashboard (template variables substituted, once with
All and once with chosen values) and of the rules is evaluated through Prometheus's HTTP
API: none may fail, the panels and recording rules that this traffic fills must return
data, and legends may only name labels the results carry. Every metric and label they use
must be one the exporter served in this run (tests/tools/check_metric_refs.py).

The conntrack table statistics and the per-zone entries (zone_entries enabled here) must be
served and fill their panels. The namespace picker shows names (nfct_netns_info), and the
connections created are checked exactly against this traffic.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import yaml

import nfct_harness as h
from nfct_harness import Exporter, Lab, conntrack_on, ping, tcp_exchange, udp_send, wait_for

SOURCE_DIR = os.environ.get("NFCT_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "tools"))
import check_metric_refs as refs  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROM_CONFIG = os.path.join(SOURCE_DIR, "config", "prometheus", "prometheus.yml")
RULE_FILES = [os.path.join(SOURCE_DIR, "config", "prometheus", f)
              for f in ("recording_rules.yml", "alerting_rules.yml")]
JOB = "nfct_exporter"
DEFAULT_PROBES = ["nf:ipv4:input", "nf:ipv4:postrouting", "nf:ipv6:input", "nf:ipv6:postrouting"]
RANGE = 60  # seconds of data a range query asks for

# The traffic of this test.
UNTRACKED_PORT = 5353   # notrack in cli
ZONE = 7                # cli puts UDP to/from port 7000 in zone 7
ZONE_PORT = 7000
SNAT_PORT = 8000        # TCP from cli to srv (a port of 8000-8009 a round), source NAT to SNAT_ADDR
DNAT_PORT = 8101        # UDP from cli to DNAT_ADDR, destination NAT to srv (closed port)
DROP_PORT = 8201        # UDP from cli to srv, dropped by an nft rule in srv (the drop panels)
SNAT_ADDR = "10.213.1.11"
DNAT_ADDR = "10.213.1.99"
# Every round makes every series grow: a counter's first sample gives no rate.
ROUNDS = 3

CLI_RULES = """
table ip nfct_dash {
  chain raw_out {
    type filter hook output priority raw; policy accept;
    udp dport %(untracked)d notrack
    udp dport %(zport)d ct zone set %(zone)d
  }
  chain raw_pre {
    type filter hook prerouting priority raw; policy accept;
    udp sport %(untracked)d notrack
    udp sport %(zport)d ct zone set %(zone)d
  }
  chain nat_out {
    type nat hook output priority -100; policy accept;
    ip daddr %(dnat)s udp dport %(dport)d dnat ip to %(srv)s
  }
  chain nat_post {
    type nat hook postrouting priority 100; policy accept;
    ip daddr %(srv)s tcp dport %(sport)d-%(sport_end)d snat ip to %(snat)s
  }
  chain in {
    type filter hook input priority 0; policy accept;
    ct state new accept
  }
}
"""

# The harness's UDP echo, but on every address (the zone test sends to srv's address).
UDP_ECHO = r"""
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", port))
s.settimeout(60)
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(65536)
    s.sendto(data, peer)
"""


class _ClassScope:
    """Lets the harness's Lab and Exporter register class-level cleanups."""

    def __init__(self, cls):
        self.cls = cls

    def addCleanup(self, fn, *args, **kwargs):
        self.cls.addClassCleanup(fn, *args, **kwargs)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def grafana_regex(values):
    """A multi-value Grafana variable as the Prometheus data source writes it into a
    query: each value regex-escaped, joined with |, in parentheses (backslashes doubled
    for the PromQL string)."""
    esc = [re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", v) for v in values]
    return "(" + "|".join(esc) + ")"


class Prometheus:
    def __init__(self, scope, target, workdir):
        self.port = _free_port()
        self.dir = workdir
        with open(PROM_CONFIG) as f:
            cfg = yaml.safe_load(f)
        # The example config, made fast: scrape and evaluate every second, our target,
        # the rule files by absolute path.
        cfg["global"]["scrape_interval"] = "1s"
        cfg["global"]["evaluation_interval"] = "1s"
        cfg["rule_files"] = RULE_FILES
        job = next(j for j in cfg["scrape_configs"] if j["job_name"] == JOB)
        job["scrape_timeout"] = "1s"
        job["static_configs"] = [{"targets": [target]}]
        self.config_path = os.path.join(workdir, "prometheus.yml")
        with open(self.config_path, "w") as f:
            yaml.safe_dump(cfg, f)
        self.log_path = os.path.join(workdir, "prometheus.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + self.config_path,
             "--storage.tsdb.path=" + os.path.join(workdir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT)
        scope.addCleanup(self.stop)

    def stop(self):
        h.stop_process(self.proc, timeout=15)
        self._log.close()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def get(self, path, **params):
        """The decoded JSON answer of the HTTP API (errors too)."""
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            try:
                return json.loads(body)
            except ValueError:
                return {"status": "error", "error": "HTTP %d: %s" % (e.code, body)}

    def query(self, expr, instant=True, at=None):
        at = at if at is not None else time.time()
        if instant:
            return self.get("/api/v1/query", query=expr, time="%.3f" % at)
        return self.get("/api/v1/query_range", query=expr, start="%.3f" % (at - RANGE),
                        end="%.3f" % at, step="2")

    def wait_ready(self, timeout=30):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited with %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=2) as r:
                    return r.status == 200
            except (OSError, urllib.error.URLError) as e:
                return False, str(e)
        wait_for(ready, timeout=timeout, what="prometheus to be ready")

    def samples(self, expr):
        r = self.query(expr)
        return r["data"]["result"] if r.get("status") == "success" else []


class DashboardPrometheusTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (BPF, network namespaces)")
        check = getattr(h, "check_environment", None)
        if check:
            check()
        if not os.access(PROMETHEUS, os.X_OK):
            raise AssertionError("no prometheus binary at %s: install Debian's prometheus package "
                                 "(scripts/install-deps.sh --test)" % PROMETHEUS)
        scope = _ClassScope(cls)
        cls.workdir = tempfile.mkdtemp(prefix="nfct-t-prom-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, True)
        cls.lab = lab = Lab(scope)
        cls.cli, cls.srv, cls.plain = lab.netns("cli"), lab.netns("srv"), lab.netns("plain")
        cls.cli_addr, cls.srv_addr = lab.veth(cls.cli, cls.srv, "v-srv", "v-cli")
        cls.cli_addr2, cls.plain_addr = lab.veth(cls.cli, cls.plain, "v-plain", "v-cli")
        cls.cli.run(["ip", "addr", "add", SNAT_ADDR + "/24", "dev", "v-srv"])
        cls.cli.nft(CLI_RULES % {"untracked": UNTRACKED_PORT, "zport": ZONE_PORT, "zone": ZONE,
                                 "dnat": DNAT_ADDR, "dport": DNAT_PORT, "srv": cls.srv_addr,
                                 "sport": SNAT_PORT, "sport_end": SNAT_PORT + 9, "snat": SNAT_ADDR})
        conntrack_on(cls.srv)
        cls.srv.nft("""
table ip nfct_dash_drop {
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport %d drop
  }
}
""" % DROP_PORT)
        lab.background(cls.srv, UDP_ECHO, ZONE_PORT)

        cls.exporter = cls._start_exporter(scope)
        cls.prom = Prometheus(scope, "127.0.0.1:%d" % cls.exporter.port, cls.workdir)
        cls.prom.wait_ready()
        wait_for(lambda: cls.prom.samples('up{job="%s"} == 1' % JOB), timeout=20,
                 what="prometheus to scrape the exporter")

        for i in range(ROUNDS):
            cls._traffic(i)
            cls._wait_scrapes(2)
        # The recording rules have evaluated on the traffic: src_nat from cli's TCP.
        wait_for(lambda: cls.prom.samples('netns_bit:nfct_status_packets:rate5m{bit="src_nat"} > 0'),
                 timeout=20, what="the recording rules to see the NAT traffic")
        cls._wait_scrapes(2)
        cls.now = time.time()
        cls.scrape_text = cls.exporter.scrape().text
        cls.catalog = refs.scrape_catalog(cls.scrape_text)
        cls.items = refs.all_items(SOURCE_DIR)

    @classmethod
    def _start_exporter(cls, scope):
        netns = "".join("  - %s\n" % n.name for n in (cls.cli, cls.srv, cls.plain))
        base = "netns:\n%sevents:\n  sample_rate: 1\n" % netns
        # The per-zone entry dump of issue 6, every second, when this exporter has it.
        zones = "zone_entries:\n  enabled: true\n  interval: 1s\n  timeout: 1s\n"
        e = Exporter(scope, config_text=base + zones)

        def started():
            if e.proc.poll() is not None:
                return True, "exited"
            try:
                status, _, _ = e.request("/healthz", timeout=2)
                return status == 200, "healthz %d" % status
            except OSError as err:
                return False, str(err)

        if wait_for(started, timeout=15, what="the exporter to start") == "exited":
            log = e.log()
            if "zone_entries" not in log:
                raise AssertionError("exporter exited:\n%s" % log)
            print("\nthis exporter has no zone_entries config (issue 6): %s" % log.strip().splitlines()[-1],
                  file=sys.stderr)
            e = Exporter(scope, config_text=base)
        e.wait_ready(netns=[cls.cli, cls.srv, cls.plain])
        return e

    @classmethod
    def _traffic(cls, i):
        cli = cls.cli
        ping(cli, cls.srv_addr, 5)
        ping(cli, cls.plain_addr, 5)                               # no conntrack in plain
        udp_send(cli, cls.srv_addr, ZONE_PORT, 3, expect_reply=True)  # zone 7
        udp_send(cli, cls.srv_addr, UNTRACKED_PORT, 3)             # untracked in cli
        udp_send(cli, DNAT_ADDR, DNAT_PORT, 3)                     # dst_nat; ICMP errors back
        udp_send(cli, cls.srv_addr, DROP_PORT, 3)                  # netfilter_drop in srv
        tcp_exchange(cls.lab, cli, cls.srv, cls.srv_addr, SNAT_PORT + i, 2000)  # src_nat

    @classmethod
    def _wait_scrapes(cls, n):
        """Waits until Prometheus has scraped the exporter n more times."""
        def count():
            r = cls.prom.samples('count_over_time(up{job="%s"}[10m])' % JOB)
            return int(float(r[0]["value"][1])) if r else 0
        start = count()
        wait_for(lambda: (count() >= start + n, count()), timeout=15, what="%d more scrapes" % n)

    # ------------------------------------------------------------------ helpers

    def variables(self, chosen):
        """Values for the dashboard's variables: All (.*) or chosen ones."""
        if not chosen:
            return {"job": ".*", "instance": ".*", "netns": ".*", "probe": ".*", "zone": ".*"}
        return {
            "job": grafana_regex([JOB]),
            "instance": grafana_regex(["127.0.0.1:%d" % self.exporter.port]),
            "netns": grafana_regex([self.cli.label, self.srv.label]),
            "probe": grafana_regex(["nf:ipv4:input", "nf:ipv4:postrouting"]),
            "zone": grafana_regex([str(ZONE), "0"]),
        }

    @staticmethod
    def metric_names(item):
        """Metric names of an expression; none when it does not scan (Prometheus says why)."""
        try:
            return refs.analyze(refs.substitute(item.expr)).metrics if item.expr.strip() else set()
        except refs.PromQLError:
            return set()

    def pending_feature(self, item):
        """The issue-6 feature an expression depends on that the exporter does not serve."""
        names = set()
        todo = [item]
        seen = set()
        while todo:
            it = todo.pop()
            for m in self.metric_names(it):
                names.add(m)
                rec = [x for x in self.items if x.kind == "record" and x.record == m]
                if rec and m not in seen:
                    seen.add(m)
                    todo += rec
        for f, d in refs.PENDING_FEATURES.items():
            if names & set(d["metrics"]) and f not in self.catalog.features:
                return f
        return None

    def features_of(self, item):
        names = self.metric_names(item)
        return {f for f, d in refs.PENDING_FEATURES.items() if names & set(d["metrics"])}

    def evaluate(self, item, values):
        expr = refs.substitute(item.expr, values)
        r = self.prom.query(expr, instant=item.instant or item.kind != "panel", at=self.now)
        if r.get("status") != "success":
            return expr, None, "%s: %s" % (r.get("errorType"), r.get("error"))
        if r.get("warnings"):
            return expr, r["data"]["result"], "warnings: %s" % r["warnings"]
        return expr, r["data"]["result"], None

    def panel_items(self):
        return [it for it in self.items if it.kind == "panel"]

    def check_panels(self, items, values, require_data):
        problems, evaluated = [], 0
        for it in items:
            expr, result, err = self.evaluate(it, values)
            evaluated += 1
            if err:
                problems.append("%s\n    %s\n    %s" % (it.origin, expr, err))
                continue
            if require_data and not result:
                problems.append("%s: no data\n    %s" % (it.origin, expr))
                continue
            for label in sorted(refs.legend_labels(it.legend)):
                missing = [s["metric"] for s in result if label not in s["metric"]]
                if missing:
                    problems.append("%s: legend {{%s}} but series without it: %s\n    %s"
                                    % (it.origin, label, missing[:3], expr))
        return evaluated, problems

    def report(self, problems):
        if problems:
            self.fail("%d problems:\n  %s\nprometheus log:\n%s" % (len(problems), "\n  ".join(problems),
                                                                    self.prom.log()[-3000:]))

    # ------------------------------------------------------------------ tests

    def query_result_options(self, name, expr):
        """{value: text} of a query_result() variable as Grafana makes them: each series of
        the instant query written as {label="value",...} VALUE TIMESTAMP_MS, and the
        variable's regex picking the text and value groups."""
        with open(os.path.join(SOURCE_DIR, "grafana", "dashboards", "nfct_exporter.json")) as f:
            var = next(v for v in json.load(f)["templating"]["list"] if v["name"] == name)
        regex = re.compile(var["regex"].strip("/").replace("(?<", "(?P<"))
        r = self.prom.query(expr, instant=True, at=self.now)
        self.assertEqual(r.get("status"), "success", r)
        options = {}
        for series in r["data"]["result"]:
            labels = ",".join('%s="%s"' % kv for kv in series["metric"].items())
            line = "{%s} %s %d" % (labels, series["value"][1], int(series["value"][0] * 1000))
            m = regex.search(line)
            self.assertIsNotNone(m, "variable $%s: regex %s does not match %r" % (name, var["regex"], line))
            options[m.group("value")] = m.group("text")
        return options

    def test_dashboard_variables_list_this_run(self):
        """Each template variable's label_values() query, as Grafana sends it, lists what
        this test made; the namespace picker shows the namespaces' names."""
        values = {}
        problems = []
        netns_text = {}
        for it in self.items:
            if it.kind != "variable":
                continue
            name = it.origin.rsplit("$", 1)[1]
            match = refs.substitute(it.expr, {k: ".*" for k in ("job", "instance", "netns", "probe", "zone")})
            if it.var_label is None:  # query_result(EXPR)
                options = self.query_result_options(name, match)
                values[name] = set(options)
                if name == "netns":
                    netns_text = options
                continue
            r = self.prom.get("/api/v1/label/%s/values" % it.var_label, **{
                "match[]": match, "start": "%.3f" % (self.now - RANGE), "end": "%.3f" % self.now})
            if r.get("status") != "success":
                problems.append("%s: %s" % (it.origin, r.get("error")))
                continue
            values[name] = set(r["data"])
        self.report(problems)
        self.assertIn(JOB, values["job"])
        self.assertIn("127.0.0.1:%d" % self.exporter.port, values["instance"])
        self.assertTrue({self.cli.label, self.srv.label, self.plain.label} <= values["netns"], values["netns"])
        self.assertNotIn("all", values["netns"])
        # Shown by name: the lab's namespaces are `ip netns add` ones (no pod here).
        for ns in (self.cli, self.srv, self.plain):
            self.assertEqual(netns_text.get(ns.label), ns.name, netns_text)
        self.assertTrue(set(DEFAULT_PROBES) <= values["probe"], values["probe"])
        self.assertTrue({"0", str(ZONE)} <= values["zone"], values["zone"])

    def test_dashboard_queries_with_all(self):
        """Every panel query with All selected evaluates; the panels fed by this traffic
        return data whose labels fill the legends."""
        items = [it for it in self.panel_items() if not self.pending_feature(it)]
        n, problems = self.check_panels(items, self.variables(chosen=False), require_data=True)
        self.report(problems)
        self.assertGreater(n, 30)

    def test_dashboard_queries_with_chosen_values(self):
        """Every panel query with chosen instance, namespaces, probes and zones (regex
        escaped as Grafana does) evaluates without error."""
        n, problems = self.check_panels(self.panel_items(), self.variables(chosen=True), require_data=False)
        self.report(problems)

    def _feature_panels(self, feature):
        self.assertIn(feature, self.catalog.features,
                      "the exporter does not serve the %s metrics: marker %s missing from its scrape"
                      % (feature, refs.PENDING_FEATURES[feature]["marker"]))
        items = [it for it in self.panel_items() if feature in self.features_of(it)]
        self.assertTrue(items, "no panel uses the %s metrics" % feature)
        n, problems = self.check_panels(items, self.variables(chosen=False), require_data=True)
        self.report(problems)

    def test_table_stats_panels_have_data(self):
        """Table fill, kernel drops, invalid packets, expectations."""
        self._feature_panels("table_stats")

    def test_zone_entries_panels_have_data(self):
        """Live entries per zone."""
        self._feature_panels("zone_entries")

    def test_rules_evaluate(self):
        """Every recording and alerting rule expression evaluates through the query API, and
        Prometheus's own rule evaluation reports every rule healthy."""
        problems = []
        for it in self.items:
            if it.kind not in ("record", "alert"):
                continue
            expr, result, err = self.evaluate(it, {})
            if err:
                problems.append("%s\n    %s" % (it.origin, err))
        r = self.prom.get("/api/v1/rules")
        self.assertEqual(r.get("status"), "success", r)
        seen = 0
        for g in r["data"]["groups"]:
            for rule in g["rules"]:
                seen += 1
                if rule.get("health") != "ok":
                    problems.append("rule %s: health %s: %s" % (rule["name"], rule.get("health"), rule.get("lastError")))
        self.assertEqual(seen, sum(it.kind in ("record", "alert") for it in self.items))
        self.report(problems)

    def test_recording_rules_have_data(self):
        """The recording rules fed by this traffic produce series (the ones of issue-6
        metrics once the exporter serves them)."""
        problems, skipped = [], []
        for it in self.items:
            if it.kind != "record":
                continue
            if self.pending_feature(it):
                skipped.append(it.record)
                continue
            if not self.prom.samples(it.record):
                problems.append("%s: no series recorded" % it.origin)
        self.report(problems)
        untracked = self.prom.samples('netns:nfct_untracked_packets:ratio_rate5m{netns="%s"} > 0' % self.cli.label)
        self.assertTrue(untracked, "cli's notrack traffic shows no untracked share")
        no_ct = self.prom.samples('netns:nfct_no_conntrack_packets:ratio_rate5m{netns="%s"} == 1' % self.plain.label)
        self.assertTrue(no_ct, "plain (no conntrack) shows no 100% no-conntrack share")
        zone = self.prom.samples('netns_zone_state:nfct_zone_packets:rate5m{zone="%d"} > 0' % ZONE)
        self.assertTrue(zone, "zone %d shows no packets" % ZONE)
        if skipped:
            print("\nnot served yet (issue 6), recording rules not required to have data: %s"
                  % ", ".join(skipped), file=sys.stderr)

    def test_netns_info_join_and_connections_created(self):
        """nfct_netns_info names every covered namespace and joins onto the packet series
        (the README's example); nfct_connections_created_total counts this traffic's
        connections exactly, and its recording rules carry the namespace's name."""
        m = h.Metrics(self.scrape_text)
        self.assertEqual({l["netns"]: l["name"] for l, _ in m.select("nfct_netns_info")},
                         {ns.label: ns.name for ns in (self.cli, self.srv, self.plain)})
        # Per round: cli pings srv and plain, sends UDP to the zone port (zone 7), through
        # DNAT, to the port srv drops, and opens a TCP connection; the untracked UDP makes no
        # entry in cli. srv sees five flows as connections of its own, without zones: the
        # flow it drops at input priority 0, before the exporter's hook and before
        # confirmation, creates no connection there.
        created = {(l["netns"], l["zone"], l["direction"]): int(v)
                   for l, v in m.select("nfct_connections_created_total")}
        self.assertEqual(created, {(self.cli.label, "0", "default"): 5 * ROUNDS,
                                   (self.cli.label, str(ZONE), "default"): ROUNDS,
                                   (self.srv.label, "0", "default"): 5 * ROUNDS})

        joined = self.prom.samples("nfct_packets_total * on (netns) group_left (pod_uid, name) nfct_netns_info")
        self.assertTrue(joined)
        names = {ns.label: ns.name for ns in (self.cli, self.srv, self.plain)}
        for s in joined:
            self.assertEqual(s["metric"].get("name"), names[s["metric"]["netns"]], s)
            self.assertNotIn("pod_uid", s["metric"])  # not a pod: an empty label is no label
        self.assertEqual({s["metric"]["netns"] for s in joined}, {self.cli.label, self.srv.label})
        ranked = self.prom.samples("topk(5, netns:nfct_connections_created:rate5m)")
        self.assertEqual({s["metric"]["netns"]: s["metric"].get("name") for s in ranked},
                         {self.cli.label: self.cli.name, self.srv.label: self.srv.name})
        zone = self.prom.samples('netns_zone:nfct_connections_created:rate5m{netns="%s", zone="%d"} > 0'
                                 % (self.cli.label, ZONE))
        self.assertTrue(zone, "cli's zone %d shows no connections created" % ZONE)

    def test_no_alert_fires_on_healthy_lab(self):
        """The alerts stay silent here: nothing is full, dropping or down."""
        firing = self.prom.samples('ALERTS{alertstate="firing"}') + self.prom.samples('ALERTS{alertstate="pending"}')
        names = sorted({s["metric"]["alertname"] for s in firing})
        self.assertEqual(names, [], "alerts on a healthy lab: %s" % firing)

    def test_metric_refs_are_served(self):
        """Every metric and label the dashboard and the rules use is one the exporter served
        in this run (recording-rule outputs and Prometheus's own series excepted)."""
        findings = refs.check(self.catalog, self.items)
        errors = [str(f) for f in findings if f.level == "error"]
        self.assertEqual(errors, [], "references to metrics or labels the exporter does not serve")
        pending = sorted({f.message.split()[0] for f in findings if f.level == "pending"})
        if pending:
            print("\nnot served yet (issue 6), checked when the exporter serves them: %s" % ", ".join(pending),
                  file=sys.stderr)

    def test_metric_refs_check_catches_mistakes(self):
        """The reference check fails on a misspelt metric, label or state."""
        bad = [refs.Item("t1", "rate(nfct_packet_total[5m])", "panel"),
               refs.Item("t2", 'sum by (netns) (rate(nfct_packets_total{stat="new"}[5m]))', "panel"),
               refs.Item("t3", 'rate(nfct_packets_total{state="invalid"}[5m])', "panel"),
               refs.Item("t4", "sum by (zones) (rate(nfct_zone_packets_total[5m]))", "panel"),
               refs.Item("t5", "sum by (netns) (rate(nfct_packets_total[5m]))", "panel", legend="{{nets}}")]
        errors = {f.origin for f in refs.check(self.catalog, bad) if f.level == "error"}
        self.assertEqual(errors, {"t1", "t2", "t3", "t4", "t5"})


if __name__ == "__main__":
    unittest.main()
