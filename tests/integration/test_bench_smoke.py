"""pushgw-bench end to end: a 10k-notification smoke against the simulator in
sink mode (not a timed test: it asserts that everything was delivered and
that the report carries the figures)."""
import json
import subprocess

from harness import binpath


def run_bench(*args):
    p = subprocess.run([binpath("pushgw-bench"), *args], capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def test_bench_smoke_delivers_all_apns():
    r = run_bench("--platform", "apns", "--recipients", "10000", "--batch", "500", "--connections", "2")
    assert r["accepted"] == 10000
    assert r["delivered"] == 10000
    assert r["failed"] == 0
    assert r["notifications_per_s"] > 0
    assert r["pushgwd_cpu_us_per_notification"] > 0
    assert r["peak_rss_kb"] > 0
    assert r["latency_ms"]["p99"] >= r["latency_ms"]["p50"] > 0


def test_bench_smoke_mixed_platforms_personalized():
    r = run_bench("--platform", "apns:60,fcm:30,webpush:10", "--recipients", "2000", "--batch", "200",
                  "--personalize", "--distinct-tokens", "200")
    assert r["accepted"] == 2000
    assert r["delivered"] == 2000
