"""CPU of pushgwd while FCM sends wait for an access token the OAuth endpoint
refuses (pushgw-sim's "token_unavailable" fault), then every recipient
delivered exactly once after the outage (docs/faults.md).

    PUSHGW_BIN=build/bin python3 tools/bench/token_outage_cpu.py [RECIPIENTS]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/integration"))
from harness import FcmRig, wait_until
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
r = FcmRig()
try:
    r.sim.admin("/faults", "token_unavailable\n")
    d = r.daemon(r.config(apps=r.fcm_section(), server_extra="max_queued = %d\n" % (N + 10000)))
    acc = 0
    for k in range(N // 1000):
        toks = ["o%07d-" % (k * 1000 + i) + "x" * 100 for i in range(1000)]
        acc += d.request({"op": "send", "wait": False, "notifications": [{"platform": "fcm", "app": "shop-android",
              "tokens": toks, "message": {"notification": {"title": "Hi", "body": "x"}}}]})["accepted"]
    time.sleep(2)
    def cpu():
        with open("/proc/%d/stat" % d.proc.pid) as f:
            p = f.read().rsplit(")", 1)[1].split()
        return (int(p[11]) + int(p[12])) / os.sysconf("SC_CLK_TCK")
    c0, t0 = cpu(), time.time()
    time.sleep(10)
    c1, t1 = cpu(), time.time()
    print("accepted %d, pushgwd CPU during the token outage: %.1f%% of one core" % (acc, 100 * (c1 - c0) / (t1 - t0)))
    r.sim.admin("/faults", "")
    ok = wait_until(lambda: r.sim.stats()["fcm"]["delivered"] == acc, timeout=300)
    print("all delivered after the outage:", bool(ok), r.sim.stats()["fcm"]["duplicate_delivered"])
finally:
    r.close()
