#!/usr/bin/env python3
"""Interleaved pushgw-bench --vs-h2load runs, per-token tracking with the
send log on and off and tracking off, APNs and FCM; medians per case.

    python3 bench/send_log_ab.py BINDIR [RUNS] [RECIPIENTS]

BINDIR holds pushgw-bench, pushgwd and pushgw-sim (e.g. build/bin). Tracked
runs use --settle: after the run, the CPU pushgwd spends until every count
is in the token rows (the deferred work) is reported as "settle".
"""
import json
import os
import statistics
import subprocess
import sys


def main():
    bindir = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    recipients = sys.argv[3] if len(sys.argv) > 3 else "300000"
    cases = [("apns", 1, 1), ("apns", 1, 0), ("apns", 0, 1), ("fcm", 1, 1), ("fcm", 1, 0), ("fcm", 0, 1)]
    got = {c: [] for c in cases}
    for _ in range(runs):
        for plat, track, log in cases:
            args = [os.path.join(bindir, "pushgw-bench"), "--platform", plat, "--recipients", recipients,
                    "--connections", "4", "--streams", "100", "--vs-h2load", "--track-sends", str(track),
                    "--send-log", str(log)]
            if track:
                args.append("--settle")
            out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip().splitlines()
            j = json.loads(out[-1])
            row = (j["pushgwd_cpu_us_per_notification"], j["h2load"]["cpu_us_per_request"],
                   j["ratio"]["cpu_per_message"], j["notifications_per_s"], j["h2load"]["req_per_s"],
                   j.get("settle_cpu_us_per_notification", 0.0), os.getloadavg()[0])
            got[(plat, track, log)].append(row)
            print(plat, "track_sends=%d send_log=%d" % (track, log), row, flush=True)
    for (plat, track, log), rows in got.items():
        med = [statistics.median(r[i] for r in rows) for i in range(7)]
        print("%s track_sends=%d send_log=%d: pushgwd us/notif %.2f  h2load us/req %.2f  ratio %.2f (runs %s)  "
              "%.0f/s vs h2load %.0f/s  settle us/notif %.2f  load %.1f" %
              (plat, track, log, med[0], med[1], med[2], ", ".join("%.2f" % r[2] for r in rows), med[3], med[4],
               med[5], med[6]))


if __name__ == "__main__":
    main()
