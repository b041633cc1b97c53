"""The fault scenarios side by side (issue 16, figure): 2,000 APNs
notifications per scenario, one wait:true batch each, against a sim that
misbehaves in one way. Nothing may be lost, and nothing the sim processed may
be sent to it twice (its per-token counts). The table printed at the end
gives, per scenario, the time to the wait:true answer.

Every scenario runs with the same [delivery] settings (the defaults except
max_attempts = 10 and max_retry_seconds = 120), each on a fresh sim and
daemon."""
import time

from harness import Rig, apns_token

N = 2000
DELIVERY = "max_attempts = 10\nmax_retry_seconds = 120"

# name, sim --fault specs, fault posted after a warm-up batch, token prefix(es)
SCENARIOS = [
    ("GOAWAY after 100 streams", ["goaway_after=100"], None, [""]),
    ("GOAWAY INTERNAL_ERROR after 100", ["goaway_error_after=100"], None, [""]),
    ("REFUSED_STREAM (limit 30 -> 4)", ["max_streams_after=30:4"], None, [""]),
    ("connection reset after 100", ["reset_after=100"], None, [""]),
    ("stall after 100 (no bytes, no ACK)", ["stall_after=100:1"], None, [""]),
    ("503 once / 429 Retry-After: 1", [], None, ["5031", "4291"]),
    ("provider token rejected (current)", [], "reject_jwt=current", [""]),
]


def run_scenario(name, faults, posted, prefixes):
    args = []
    for f in faults:
        args += ["--fault", f]
    rig = Rig(sim_args=args)
    try:
        d = rig.daemon(rig.config(delivery=DELIVERY))
        if posted:
            warm = [apns_token(i, "ca11") for i in range(5)]
            r = d.request({"op": "send", "wait": True, "notifications": [
                {"platform": "apns", "app": "shop-ios", "tokens": warm, "payload": {"aps": {"alert": "w"}}}]})
            assert all(x["status"] == "delivered" for x in r["results"])
            rig.sim.admin("/faults", posted)
            rig.sim.admin("/reset", "")  # counts from here (the sim keeps its faults and its token state)
        tokens = [apns_token(i, prefixes[i % len(prefixes)]) for i in range(N)]
        t0 = time.time()
        resp = d.request({"op": "send", "wait": True, "notifications": [
            {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "x"}}}]},
            timeout=300)
        took = time.time() - t0
        by_status = {}
        for r in resp["results"]:
            key = r["status"] if r["status"] != "failed" else "failed:" + r.get("reason", "")
            by_status[key] = by_status.get(key, 0) + 1
        seen = rig.sim.tokens("apns")
        st = rig.sim.stats()
        return {
            "name": name,
            "delivered": by_status.get("delivered", 0),
            "statuses": by_status,
            "lost": sum(1 for t in tokens if t not in seen),
            "dups": sum(n - 1 for n in seen.values()),
            "sim_dups": st["apns"]["duplicate_delivered"],
            "conns": st["connections_accepted"],
            "retried": d.request({"op": "stats"})["platforms"]["apns"]["retried"],
            "seconds": took,
        }
    finally:
        rig.close()


def table(rows):
    head = "%-36s %9s %5s %5s %6s %8s %9s" % ("scenario", "delivered", "lost", "dups", "conns", "retried",
                                                "answer s")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append("%-36s %9d %5d %5d %6d %8d %9.2f" % (r["name"], r["delivered"], r["lost"], r["dups"],
                                                          r["conns"], r["retried"], r["seconds"]))
    total = sum(r["delivered"] for r in rows)
    lines.append("%-36s %9d %5d %5d" % ("total (%d sent)" % (N * len(rows)), total,
                                        sum(r["lost"] for r in rows), sum(r["dups"] for r in rows)))
    return "\n".join(lines)


def test_fault_scenarios_lose_nothing_and_duplicate_nothing(capsys):
    rows = [run_scenario(*s) for s in SCENARIOS]
    with capsys.disabled():
        print("\n" + table(rows))
    for r in rows:
        assert r["statuses"] == {"delivered": N}, r
        assert r["lost"] == 0, r
        assert r["dups"] == 0 and r["sim_dups"] == 0, r
