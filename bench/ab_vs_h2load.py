#!/usr/bin/env python3
"""Interleaved A/B of two pushgwd builds with pushgw-bench --vs-h2load.

    python3 bench/ab_vs_h2load.py BASE_BINDIR NEW_BINDIR RUNS RECIPIENTS [apns,fcm]

Each BINDIR holds pushgwd and pushgw-sim; pushgw-bench comes from NEW_BINDIR.
TSS=1,0 (environment) picks the track_sends values. Runs alternate between
the builds so that a change in the machine's load hits both; prints every run
and the medians (pushgwd CPU µs/notification, h2load µs/request, ratio,
throughput, sink CPU µs/request, pushgwd scheduler delay µs/notification).
"""
import json
import os
import statistics
import subprocess
import sys

builds = {"base": sys.argv[1], "new": sys.argv[2]}
runs, rec = int(sys.argv[3]), sys.argv[4]
plats = sys.argv[5].split(",") if len(sys.argv) > 5 else ["apns"]
tss = [int(x) for x in os.environ.get("TSS", "1,0").split(",")]
res = {}
for _ in range(runs):
    for plat in plats:
        for ts in tss:
            for name, bindir in builds.items():
                out = subprocess.run([f"{builds['new']}/pushgw-bench", "--bin-dir", bindir, "--platform", plat,
                                      "--recipients", rec, "--connections", "4", "--streams", "100", "--vs-h2load",
                                      "--track-sends", str(ts)], capture_output=True, text=True).stdout.strip().splitlines()
                try:
                    j = json.loads(out[-1])
                    v = (j["pushgwd_cpu_us_per_notification"], j["h2load"]["cpu_us_per_request"],
                         j["ratio"]["cpu_per_message"], j["notifications_per_s"], j["h2load"]["req_per_s"],
                         j.get("sink_cpu_us_per_request", 0), j.get("pushgwd_run_delay_us_per_notification", 0))
                except (IndexError, KeyError, ValueError) as e:
                    print("run failed", name, plat, ts, e, out[-1:], flush=True)
                    continue
                res.setdefault((plat, ts, name), []).append(v)
                print(name, plat, ts, v, flush=True)
for (plat, ts, name), v in sorted(res.items()):
    med = [statistics.median(x[i] for x in v) for i in range(7)]
    print(f"{name} {plat} track_sends={ts}: pushgwd us/notif {med[0]:.2f} (runs {', '.join('%.2f' % x[0] for x in v)})"
          f"  h2load us/req {med[1]:.2f}  ratio {med[2]:.2f} (runs {', '.join('%.2f' % x[2] for x in v)})"
          f"  thr {med[3]:.0f}/s vs h2load {med[4]:.0f}/s  sink us/req {med[5]:.2f}  run-delay us/notif {med[6]:.1f}")
