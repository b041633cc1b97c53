"""A provider outage under full offered load (issue 16, item 4): parked work
counts against back-pressure, so ingest stops reading once the senders hold
max_queued recipients, RSS stays under the bound the README states (Limits:
96 MiB + 1 KiB per max_queued recipient), and once the outage ends every
accepted recipient reaches its verdict: delivered exactly once, or, for
those whose expires_at passed meanwhile, expired/failed. Nothing is lost.

The short form of tools/bench/outage_rss.py (which has the 10-minute figure,
docs/performance.md): the sim answers every APNs and FCM send 503 for 25 s
while four clients pipeline requests of 1,000 recipients as fast as pushgwd
reads them. Asserts no time."""
import argparse
import os
import sys

from harness import sanitized_build

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/bench"))
import outage_rss  # noqa: E402

MAX_QUEUED = 20000
CLIENTS, BATCH = 4, 1000


def rss_bound_mib(max_queued):
    """The README's bound (Limits): 96 MiB + 1 KiB per max_queued recipient."""
    return 96 + max_queued / 1024


def test_rss_stays_bounded_and_nothing_is_lost_through_a_provider_outage():
    args = argparse.Namespace(seconds=25, max_queued=MAX_QUEUED, clients=CLIENTS, batch=BATCH, expiring_every=10,
                              expiry=15, every=2.0, workers=2, drain_timeout=600)
    res, rows = outage_rss.run(args)
    assert res["daemon_alive"] and res["client_failures"] == [] and res["rejected_requests"] == {}
    # The load was full: it filled the bound while the provider was down...
    assert res["accepted_during_outage"] >= MAX_QUEUED
    # ...and ingest stopped reading there: accepted and not final never
    # exceeded max_queued plus what one read per client may leave waiting.
    assert res["queue_depth_max_outage"] <= MAX_QUEUED + CLIENTS * BATCH, rows
    assert res["sim_503_answers"] > 0
    # Every accepted recipient has its verdict after the lift.
    assert res["drained"], rows[-3:]
    assert res["lost"] == 0 and res["duplicates"] == 0 and res["unexpected"] == 0, res
    assert res["expiring"] > 0 and res["expiring_unaccounted"] == 0, res
    assert res["plain"] + res["expiring_delivered"] == res["daemon"]["delivered"], res
    assert res["daemon"]["accepted"] == res["accepted"], res
    if not sanitized_build():  # ASan's shadow memory and quarantine are not ours
        bound = rss_bound_mib(MAX_QUEUED)
        assert res["hwm_outage_mib"] < bound, (res["hwm_outage_mib"], bound, rows)
        assert res["hwm_end_mib"] < bound, (res["hwm_end_mib"], bound, rows)
