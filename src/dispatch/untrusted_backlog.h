// How much of a sender's share ([server] max_queued, Inbox::share()) the
// backlogs of attacker-chosen (Web Push) origins may hold: the jobs held by
// an origin's open breaker and those waiting for its share of the in-flight
// window (OriginGuard::backlog()). Anyone who subscribes chooses the origin,
// and every job counts against the share until it ends, so without this one
// origin that never answers (a tarpit, a refused connection) holds its jobs
// until their retry window ends and ingest stops reading for every app.
//
// Two rules, both judged on the origin's measured answer rate (DrainMeter),
// and only once it was busy for DrainMeter::kJudgeAfterMs (an origin still
// connecting is not judged):
//
//  1. An origin keeps at most what it answers, at its rate, before the
//     window (accept + max_retry_seconds, or the expiry if earlier) of its
//     newest job ends: the jobs beyond would end failed "origin_busy" there
//     anyway, so they end now. A job beyond it is refused into the backlog
//     (admit()); housekeeping (tick()) sheds the newest ones past it. An
//     origin that answers nothing keeps nothing once judged.
//  2. All those backlogs together hold at most half the share (bound): past
//     it, the origin slowest to drain its backlog (backlog / rate, the
//     fattest flow of fq_codel, by time not by count) sheds its newest jobs,
//     down to kSlowDrainMs of its work, then the next slowest. An origin that
//     drains its backlog within kSlowDrainMs is never shed by this rule: a
//     big push service carrying a whole campaign is back-pressure, as
//     APNs/FCM are.
//
// So past half the share, what attacker-chosen origins hold belongs only to
// origins busy for less than kJudgeAfterMs or that drain it within
// kSlowDrainMs at their measured rate.
//
//  3. Jobs waiting for an attacker-chosen origin's name (parked while it
//     resolves, or in the retry queue after a temporary DNS failure) hold at
//     most a quarter of the share (name_bound) once the name is slow: it
//     failed for now before, or has been resolving for kNameGraceMs. The
//     subscriber chooses the name and its DNS server, which may answer
//     slowly or fail for now on every try; before this rule each such job
//     waited out up to max_attempts lookups and negative TTLs. A name that
//     answers within the grace (a push service's, even on a cold cache) is
//     never judged, so a campaign's first burst still parks on it.
//
// Per job: admit() is O(1) and allocates nothing. tick() walks the
// attacker-chosen origins once per housekeeping pass. Loop thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/circuit_breaker.h"
#include "pushgw/job.h"

namespace pushgw::dispatch {

class OutcomeSink;

class UntrustedBacklog {
 public:
  // Rule 2 sheds only from origins whose backlog takes longer than this to
  // drain at their rate: a 1M-recipient campaign to one push service that
  // answers 100k/s drains in 10 s; three times that leaves room for a
  // noisy rate and for a sender's share of it.
  static constexpr int64_t kSlowDrainMs = 30'000;
  // Rule 3: a name still resolving after this long is slow.
  static constexpr int64_t kNameGraceMs = 2'000;

  // bound: jobs all backlogs together may hold (half the share);
  // name_bound: jobs waiting for slow names may hold (a quarter).
  UntrustedBacklog(size_t bound, int64_t max_retry_ms, size_t name_bound = SIZE_MAX)
      : bound_(bound), name_bound_(name_bound), max_retry_ms_(max_retry_ms) {}

  // OriginGuard::count_into() of each attacker-chosen origin.
  size_t* counter() { return &total_; }
  size_t total() const { return total_; }
  size_t bound() const { return bound_; }
  // Jobs ended by any rule (refused or shed), since start.
  uint64_t shed() const { return shed_; }

  // Before a job of attacker-chosen origin g is held (breaker open) or
  // waits (origin at its in-flight share). False: it may not; the caller
  // ends it failed. May end the newest job of the slowest origin in sink
  // (rule 2) to make room. now_ms: wall clock.
  bool admit(OriginGuard& g, const Batch& b, int64_t now_ms, OutcomeSink& sink);
  // Housekeeping: samples each origin's rate, then applies both rules.
  // guards: every attacker-chosen origin's guard; now_ms: wall clock,
  // mono_ms: monotonic.
  void tick(const std::vector<OriginGuard*>& guards, int64_t now_ms, int64_t mono_ms, OutcomeSink& sink);
  // Rule 3, before a job waits for its origin's name: waiting = the jobs
  // that wait for names now (parked and in the retry queue). False: it may
  // not; the caller ends it failed "dns_temporary_failure". O(1).
  bool admit_name_wait(bool slow_name, size_t waiting) {
    if (!slow_name || waiting < name_bound_) return true;
    ++shed_;
    return false;
  }
  // g is going away (its pool was evicted).
  void forget(const OriginGuard* g) {
    if (victim_ == g) victim_ = nullptr;
  }

 private:
  int64_t deadline(const Batch& b) const;
  // More jobs than it drains within kSlowDrainMs.
  static bool slow(const OriginGuard& g, size_t backlog);
  void shed_newest(OriginGuard& g, OutcomeSink& sink);

  const size_t bound_;
  const size_t name_bound_;
  const int64_t max_retry_ms_;
  size_t total_ = 0;                  // every attacker-chosen backlog (OriginGuard::count_into)
  uint64_t shed_ = 0;
  OriginGuard* victim_ = nullptr;     // the slowest origin as of the last tick (rule 2 at admit())
  std::vector<OriginGuard*> slow_;    // tick()'s scratch
};

}  // namespace pushgw::dispatch
