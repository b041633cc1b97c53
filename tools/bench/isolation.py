#!/usr/bin/env python3
"""Isolation figure (issue 15, "Figures"): hostile Web Push origins must not
slow other apps.

Real pushgwd, real pushgw-sim processes: one sim is the APNs provider of
app shop-ios; two more play Web Push origins of app shop-web, one that
allows zero streams (SETTINGS_MAX_CONCURRENT_STREAMS = 0) and one that
accepts requests and never answers (fault "stall"). The script

  1. sends 500-token APNs batches (wait:true) every --every seconds and
     records each batch's delivery time ("before");
  2. starts --hostile Web Push sends (half to each origin, ttl --ttl,
     wait:true) and keeps sending the APNs batches while they are pending
     ("during");
  3. reports the medians before and during, and when the hostile sends
     ended (they must end, not delivered, within their TTL plus the
     request timeout) and how.

It prints figures, asserts nothing about time.

  PUSHGW_BIN=build/bin python3 tools/bench/isolation.py [--hostile 30000] [--ttl 20]
"""
import argparse
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/integration"))
from harness import WebPushOriginsRig, apns_token  # noqa: E402


def apns_batch(d, n, start):
    t0 = time.time()
    r = d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(start + i) for i in range(n)],
         "payload": {"aps": {"alert": "isolation"}}}]}, timeout=600)
    took = time.time() - t0
    delivered = sum(1 for x in r["results"] if x["status"] == "delivered")
    return took, delivered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hostile", type=int, default=30000, help="Web Push sends to the two hostile origins")
    ap.add_argument("--ttl", type=int, default=20, help="their ttl, seconds")
    ap.add_argument("--batch", type=int, default=500, help="APNs tokens per batch")
    ap.add_argument("--every", type=float, default=3.0, help="seconds between APNs batches")
    ap.add_argument("--before", type=int, default=5, help="APNs batches before the hostile load")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    rig = WebPushOriginsRig()
    try:
        zero = rig.origin(args=["--max-streams", "0"])
        mute = rig.origin(["stall"])
        half = args.hostile // 2
        subs_zero, subs_mute = rig.subs(zero, half), rig.subs(mute, args.hostile - half)
        cfg = rig.config(apps=rig.apns_section() + rig.wp_section(), workers=args.workers,
                         delivery="max_attempts = 5\nmax_retry_seconds = 300")
        d = rig.daemon(cfg)
        request_timeout_s = 10  # [delivery] request_timeout_ms default
        token = 0
        before = []
        for _ in range(args.before):
            took, ok = apns_batch(d, args.batch, token)
            token += args.batch
            before.append(took)
            time.sleep(args.every)

        ended = {}

        def hostile(name, subs):
            t0 = time.time()
            r = d.request({"op": "send", "wait": True, "notifications": [
                {"platform": "webpush", "app": "shop-web", "subscriptions": subs, "payload": "x",
                 "ttl": args.ttl}]}, timeout=3600)
            by = {}
            for x in r["results"]:
                k = x["status"] + (":" + x.get("reason", "") if x["status"] == "failed" else "")
                by[k] = by.get(k, 0) + 1
            ended[name] = (time.time() - t0, by)

        t_start = time.time()
        threads = [threading.Thread(target=hostile, args=("zero_streams", subs_zero)),
                   threading.Thread(target=hostile, args=("never_answers", subs_mute))]
        for t in threads:
            t.start()
        during = []
        undelivered = 0
        time.sleep(1.0)
        while any(t.is_alive() for t in threads):
            took, ok = apns_batch(d, args.batch, token)
            token += args.batch
            during.append(took)
            undelivered += args.batch - ok
            time.sleep(args.every)
        for t in threads:
            t.join()
        hostile_s = time.time() - t_start
        hwm = d.hwm_kb()

        fig = {
            "hostile_sends": args.hostile,
            "hostile_ttl_s": args.ttl,
            "apns_batch": args.batch,
            "before_ms": [round(x * 1000) for x in before],
            "during_ms": [round(x * 1000) for x in during],
            "median_before_ms": round(statistics.median(before) * 1000, 1),
            "median_during_ms": round(statistics.median(during) * 1000, 1) if during else None,
            "apns_undelivered_during": undelivered,
            "hostile_ended_s": {k: round(v[0], 1) for k, v in ended.items()},
            "hostile_outcomes": {k: v[1] for k, v in ended.items()},
            "bound_ttl_plus_request_timeout_s": args.ttl + request_timeout_s,
            "never_answering_origin_requests": mute.stats().get("requests"),
            "zero_stream_origin_requests": zero.stats().get("requests"),
            "daemon_vmhwm_mib": round(hwm / 1024, 1),
            "all_hostile_ended_s": round(hostile_s, 1),
        }
        print(json.dumps(fig, indent=1))
    finally:
        rig.close()


if __name__ == "__main__":
    main()
