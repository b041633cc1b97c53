"""The Prometheus alert rules (conf/prometheus/pushgw-alerts.yml) and the
Grafana dashboard (conf/grafana/pushgw-dashboard.json): promtool checks and
unit tests, and every metric and label they name is one a live pushgwd
exports, after traffic that makes its labelled series exist. A real
Prometheus then scrapes that pushgwd and every dashboard query returns data."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest
import yaml

from harness import apns_token, free_port, observed_daemon, wait_until
from promql_names import parse_exposition, problems, references

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(SRC, "conf/prometheus/pushgw-alerts.yml")
RULE_TESTS = os.path.join(SRC, "tests/monitoring/pushgw-alerts.test.yml")
DASHBOARD = os.path.join(SRC, "conf/grafana/pushgw-dashboard.json")


def promtool():
    tool = shutil.which("promtool")
    assert tool, "promtool (Debian package prometheus) is installed by scripts/install-deps.sh"
    return tool


def rule_exprs():
    rules = yaml.safe_load(open(RULES))
    return [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]


def dashboard_exprs():
    """(where, expr) for every panel target and templating query."""
    dash = json.load(open(DASHBOARD))
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append((p["title"], t["expr"]))
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            out.append(("$" + v["name"], q))
    return out


def grafana_to_promql(expr):
    """Grafana's variables replaced the way it would with every value selected."""
    expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m")
    return re.sub(r"\$\{?[A-Za-z_]+\}?", ".*", expr)


# ---- promtool --------------------------------------------------------------

def test_alert_rules_pass_promtool_check_and_unit_tests():
    check = subprocess.run([promtool(), "check", "rules", RULES], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run([promtool(), "test", "rules", RULE_TESTS], capture_output=True, text=True,
                          cwd=os.path.dirname(RULE_TESTS))
    print(test.stdout + test.stderr)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "SUCCESS" in test.stdout


def test_every_alert_has_a_firing_and_a_quiet_case():
    cases = yaml.safe_load(open(RULE_TESTS))["tests"]
    fires, quiet = set(), set()
    for case in cases:
        for a in case.get("alert_rule_test", []):
            (fires if a["exp_alerts"] else quiet).add(a["alertname"])
    alerts = {name for name, _ in rule_exprs()}
    assert alerts - fires == set(), "alerts never shown firing"
    assert alerts - quiet == set(), "alerts never shown staying quiet"
    # What the issue asks for, by the metric each rule reads.
    exprs = dict(rule_exprs())
    for metric in ("pushgw_notifications_total", "pushgw_breakers_open", "pushgw_max_queued",
                   "pushgw_store_backlog", "pushgw_watchdog_stalled_loops", "pushgw_app_suspect"):
        assert any(metric in e for e in exprs.values()), metric
    assert all("pushgw_credential_expiry_seconds" not in e for e in exprs.values()), "not exported yet"
    assert "PLACEHOLDER" not in open(RULES).read()


def test_dashboard_queries_are_valid_promql():
    exprs = [e for _, e in dashboard_exprs() if not e.startswith("label_values(")]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "pushgw:dashboard_%d" % i, "expr": grafana_to_promql(e)} for i, e in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(rules, f)
    try:
        r = subprocess.run([promtool(), "check", "rules", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, r.stdout + r.stderr


def test_dashboard_covers_what_operators_need():
    dash = json.load(open(DASHBOARD))
    assert dash["uid"] == "pushgw" and dash["schemaVersion"] >= 30
    titles = " | ".join(p["title"].lower() for p in dash["panels"])
    for topic in ("accepted", "outcome", "failure", "gateway-added", "provider", "queue", "connections",
                  "breaker", "store", "spool"):
        assert topic in titles, topic
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "job", "instance", "platform", "app"} <= variables
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    all_exprs = " ".join(e for _, e in dashboard_exprs())
    for q in ("0.5", "0.99"):
        assert "histogram_quantile(%s, sum by (le) (rate(pushgw_gateway_latency_seconds_bucket" % q in all_exprs
        assert "histogram_quantile(%s, sum by (le) (rate(pushgw_provider_response_seconds_bucket" % q in all_exprs
    for p in dash["panels"]:
        for t in p.get("targets", []):
            assert t["datasource"]["uid"] == "${datasource}", p["title"]
            if "_total" in t["expr"]:
                assert re.search(r"(rate|increase)\([^()]*_total", t["expr"]), "a counter shown raw: " + t["expr"]


# ---- the checker itself ----------------------------------------------------

def test_name_checker_flags_unknown_metrics_labels_and_groupings():
    exported = parse_exposition(
        'pushgw_notifications_total{platform="apns",app="a",outcome="failed",reason=""} 1\n'
        'pushgw_rejected_total{platform="",error="bad_token"} 1\n'
        'pushgw_queue_depth 3\n')
    assert problems('sum by (platform, app) (rate(pushgw_notifications_total{outcome="failed"}[5m]))', exported) == []
    assert problems('pushgw_queue_depth{job=~"$job",instance=~"$instance"} > 0', exported) == []
    assert problems('up{job="pushgw"} == 0', exported) == []
    assert problems('rate(pushgw_nope_total[5m])', exported) == ["metric pushgw_nope_total is not exported"]
    assert problems('pushgw_notifications_total{outcom="failed"}', exported) == [
        "metric pushgw_notifications_total has no label outcom"]
    assert problems('sum by (appp) (pushgw_notifications_total)', exported) == [
        "no metric in the expression has label appp (by/without/on)"]
    # An empty-valued label is no label: grouping rejections by platform groups nothing.
    assert problems('sum by (platform) (rate(pushgw_rejected_total[5m]))', exported) == [
        "no metric in the expression has label platform (by/without/on)"]
    assert problems('sum(rate(pushgw_notifications_total[5m])) without (outcome)', exported) == []
    assert problems('label_values(pushgw_notifications_total{platform=~"$p"}, apps)', exported) == [
        "label_values: metric pushgw_notifications_total has no label apps"]
    assert problems('histogram_quantile(0.5, sum by (le) (rate(x_bucket[5m])))', exported) == [
        "metric x_bucket is not exported", "no metric in the expression has label le (by/without/on)"]
    assert problems('{app="a"}', exported) == ["selector without a metric name: ['app']"]
    assert references('max_over_time(pushgw_queue_depth[5m:1m] offset 1h)').metrics() == {"pushgw_queue_depth"}


# ---- a live pushgwd ----------------------------------------------------------

def drive_traffic(rig, d):
    """Traffic after which every labelled series the rules and dashboard use exists."""
    good = [apns_token(i) for i in range(30)]
    send = lambda app, toks, wait=True: d.request({"op": "send", "wait": wait, "notifications": [
        {"platform": "apns", "app": app, "tokens": toks, "payload": {"aps": {"alert": "x"}}}]})
    send("shop-ios", good + [apns_token(1, "410"), apns_token(2, "4000"), apns_token(3, "5031"), "zz"])
    send("shop-ios", [apns_token(1, "410")])  # known dead now: suppressed
    send("dead-ios", [apns_token(4)])         # connect_failed, breaker opens
    rig.sim.admin("/faults", "reset_after=5")  # connections dropped: reconnects
    send("shop-ios", [apns_token(100 + i) for i in range(20)])
    rig.sim.admin("/faults", "")
    send("shop-ios", [apns_token(200 + i) for i in range(20)])


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


class Prometheus:
    def __init__(self, workdir, target_port):
        self.port = free_port()
        self.dir = os.path.join(workdir, "prometheus")
        os.makedirs(self.dir)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            yaml.safe_dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                            "rule_files": [RULES],
                            "scrape_configs": [{"job_name": "pushgw",
                                                "static_configs": [{"targets": ["127.0.0.1:%d" % target_port]}]}]}, f)
        self.log = open(os.path.join(workdir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(["prometheus", "--config.file", cfg, "--storage.tsdb.path", self.dir + "/data",
                                      "--web.listen-address", "127.0.0.1:%d" % self.port],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read().decode())
        assert body["status"] == "success", body
        return body["data"]["result"]

    def ready(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def test_dashboard_and_rules_name_only_what_pushgwd_exports(rig):
    d = observed_daemon(rig)
    drive_traffic(rig, d)
    # Breakers, reconnect counts and gauges are published by the senders' housekeeping tick.
    assert wait_until(lambda: 'pushgw_reconnects_total{platform="apns",app="shop-ios"}' in scrape(d.metrics_port),
                      timeout=20), scrape(d.metrics_port)
    exported = parse_exposition(scrape(d.metrics_port))
    found = []
    for name, expr in rule_exprs():
        found += ["rule %s: %s" % (name, p) for p in problems(expr, exported)]
    for where, expr in dashboard_exprs():
        found += ["dashboard %s: %s" % (where, p) for p in problems(expr, exported)]
    assert found == [], "\n".join(found)
    # The scrape had what the traffic should have made.
    for metric, labels in (("pushgw_notifications_total", {"platform", "app", "outcome", "reason"}),
                           ("pushgw_retries_total", {"platform", "app", "reason"}),
                           ("pushgw_suppressions_total", {"platform", "app", "state"}),
                           ("pushgw_rejected_total", {"error"}),
                           ("pushgw_breakers_open", {"platform", "app"}),
                           ("pushgw_spool_failed", set())):
        assert labels <= exported.get(metric, {"<absent>"}), (metric, exported.get(metric))


def test_a_real_prometheus_gets_data_for_every_dashboard_query(rig):
    if not shutil.which("prometheus"):
        pytest.fail("prometheus is installed by scripts/install-deps.sh")
    d = observed_daemon(rig)
    drive_traffic(rig, d)
    prom = Prometheus(rig.dir, d.metrics_port)
    try:
        assert wait_until(prom.ready, timeout=60), open(os.path.join(rig.dir, "prometheus.log")).read()[-3000:]
        # Rates need two scrapes inside their window; keep traffic flowing meanwhile.
        assert wait_until(lambda: prom.query('count(pushgw_build_info{job="pushgw"})'), timeout=60)
        for i in range(3):
            d.request({"op": "send", "wait": True, "notifications": [{"platform": "apns", "app": "shop-ios",
                      "tokens": [apns_token(300 + 10 * i + k) for k in range(10)], "payload": {"aps": {}}}]})
            time.sleep(1.1)
        empty = []
        for where, expr in dashboard_exprs():
            if expr.startswith("label_values("):
                continue
            q = grafana_to_promql(expr)
            if not wait_until(lambda: prom.query(q), timeout=15, interval=0.5):
                empty.append("%s: %s" % (where, q))
        assert empty == [], "dashboard queries without data:\n" + "\n".join(empty)
        # The rules loaded and evaluate: the dead app's open breaker is pending or firing.
        alerts = wait_until(lambda: [a for a in prom.query("ALERTS") if a["metric"]["alertname"] ==
                                     "PushgwCircuitBreakerOpen"], timeout=30)
        assert alerts and alerts[0]["metric"]["app"] == "dead-ios", prom.query("ALERTS")
    finally:
        prom.stop()
