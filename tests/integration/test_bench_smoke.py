"""pushgw-bench end to end: a 10k-notification smoke against the simulator in
sink mode (not a timed test: it asserts that everything was delivered and
that the report carries the figures)."""
import json
import os
import shutil
import subprocess

import pytest

from harness import binpath, sanitized_build


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


@pytest.mark.skipif(shutil.which("h2load") is None, reason="h2load (nghttp2-client) not installed")
def test_bench_webpush_vs_h2load_sends_webpush_shaped_requests():
    # h2load must send what pushgwd sends for Web Push: an aes128gcm body of
    # the encrypted size (86-byte header + payload + delimiter + 16-byte tag)
    # to the sink's Web Push path, which the sink answers 201; the report
    # carries the RFC 8291 crypto floor and the ratio against floor + h2load.
    r = run_bench("--platform", "webpush", "--recipients", "600", "--payload-bytes", "150",
                  "--connections", "2", "--vs-h2load")
    assert r["delivered"] == 600
    h = r["h2load"]
    assert h["requests"] == 600
    assert h["succeeded"] == 600
    assert h["body_bytes"] == 86 + 150 + 1 + 16
    assert h["crypto_floor_us_per_message"] > 0
    expected = r["pushgwd_cpu_us_per_notification"] / (h["crypto_floor_us_per_message"] + h["cpu_us_per_request"])
    assert r["ratio"]["cpu_vs_floor_plus_h2load"] == pytest.approx(expected, rel=0.01, abs=0.002)
    assert r["pushgwd_sys_us_per_notification"] >= 0
    # The floor of a sender that makes its key pairs a batch at a time, as pushgwd does.
    batched = h["rfc8291_batched_floor_us_per_message"]
    assert batched > 0
    expected = r["pushgwd_cpu_us_per_notification"] / (batched + h["cpu_us_per_request"])
    assert r["ratio"]["cpu_vs_rfc8291_batched_floor_plus_h2load"] == pytest.approx(expected, rel=0.01, abs=0.002)


@pytest.mark.skipif(shutil.which("h2load") is None, reason="h2load (nghttp2-client) not installed")
def test_bench_vs_h2load_runs_h2load_after_the_stores_deferred_work():
    # With tracking on (the default) the send log is compacted when the
    # store goes idle, right after the run; h2load must not share the CPU
    # with that, so the bench waits for the store first and says so.
    r = run_bench("--platform", "apns", "--recipients", "3000", "--connections", "2", "--vs-h2load")
    assert r["delivered"] == 3000
    assert r["settle_seconds"] >= 0
    assert r["h2load"]["succeeded"] == 3000
    assert r["h2load"]["pushgwd_cpu_seconds"] >= 0
    # Without tracking there is nothing to wait for.
    r = run_bench("--platform", "apns", "--recipients", "3000", "--connections", "2", "--vs-h2load",
                  "--track-sends", "0")
    assert "settle_seconds" not in r
    assert r["h2load"]["succeeded"] == 3000


def test_bench_crypto_floor_alone_for_instruction_counts():
    # The floors on their own (no gateway), for callgrind's difference of two N.
    for kind in ("asym", "rfc8291", "batched"):
        r = run_bench("--crypto-floor", kind + ":40")
        assert r["crypto_floor"] == kind
        assert r["messages"] == 40
        assert r["us_per_message"] > 0
    p = subprocess.run([binpath("pushgw-bench"), "--crypto-floor", "fast:10"], capture_output=True, timeout=60)
    assert p.returncode == 2
    assert b"bad --crypto-floor" in p.stderr


def thp_mode():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        return "never"


def run_bench_env(env_extra, *args):
    env = dict(os.environ, **env_extra)
    p = subprocess.run([binpath("pushgw-bench"), *args], capture_output=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


@pytest.mark.skipif(thp_mode() == "never", reason="transparent huge pages are off in this kernel")
@pytest.mark.skipif(sanitized_build(), reason="a sanitizer's allocator takes the place of jemalloc")
def test_pushgwd_memory_comes_in_huge_pages_and_is_purged_by_jemallocs_thread():
    # pushgwd's jemalloc options (src/daemon/main.cc): the memory a burst
    # touches comes in transparent huge pages, so it costs a fraction of the
    # page faults of 4 KiB pages (each a trip through the kernel); dirty pages
    # go back to the kernel from jemalloc's own thread. MALLOC_CONF in the
    # environment overrides the options: that run is the 4 KiB reference.
    args = ("--platform", "apns", "--recipients", "60000", "--batch", "1000", "--connections", "2")
    shipped = run_bench_env({}, *args)
    small = run_bench_env({"MALLOC_CONF": "thp:never,background_thread:false"}, *args)
    assert shipped["delivered"] == small["delivered"] == 60000
    print("page faults: shipped %d, 4 KiB pages %d" % (shipped["pushgwd_page_faults"], small["pushgwd_page_faults"]))
    assert shipped["pushgwd_page_faults"] * 2 < small["pushgwd_page_faults"]
    assert "jemalloc_bg_thd" in shipped["cpu_us_per_notification_by_thread"]
    assert "jemalloc_bg_thd" not in small["cpu_us_per_notification_by_thread"]
