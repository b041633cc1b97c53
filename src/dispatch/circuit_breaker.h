// Per-origin circuit breaker: stop hammering an origin that keeps failing at
// the connection level, and probe it with one request at a time instead.
//
//   Closed ──(N consecutive failures, or failure ratio over a window)──▶ Open
//   Open ──(cooldown with jitter elapsed; the next admit() is the probe)──▶ HalfOpen
//   HalfOpen ──(probe answered)──▶ Closed      HalfOpen ──(probe failed)──▶ Open (cooldown doubles)
//
// CircuitBreaker is pure: time comes from the injected Clock (monotonic),
// randomness from rand01; it does no I/O and takes no locks (one per sender
// thread per pool). What counts as a "failure" is the caller's decision:
// OriginGuard below encodes the sender's rules (connection-level failures
// only, deduplicated so one dead connection is one failure, not one per
// stream it carried).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dispatch/untrusted_window.h"
#include "pool/pool.h"
#include "pushgw/clock.h"
#include "dispatch/drain_meter.h"
#include "dispatch/wait_queue.h"
#include "pushgw/job.h"

namespace pushgw::dispatch {

struct BreakerOptions {
  int consecutive_failures = 3;     // open after this many failures in a row
  int window = 20;                  // ratio rule: over the last `window` outcomes (<= 64)...
  int min_samples = 10;             // ...once at least this many were seen...
  double failure_ratio = 0.5;       // ...open when failures / outcomes >= this
  int64_t cooldown_ms = 1000;       // first open period
  int64_t max_cooldown_ms = 30000;  // doubling stops here
  double jitter = 0.5;              // open period uniform in [cooldown*(1-jitter), cooldown]
};

class CircuitBreaker {
 public:
  enum class State : uint8_t { Closed, Open, HalfOpen };
  enum class Admit : uint8_t { Send, Probe, Hold };

  CircuitBreaker(BreakerOptions opts, const Clock& clock, std::function<double()> rand01);

  // May a request go now? Closed: Send. Open before the probe time: Hold.
  // Open at/after the probe time: becomes HalfOpen and returns Probe (exactly
  // once). HalfOpen: Hold until the probe's outcome is known.
  Admit admit();
  // The origin answered (any HTTP response). Closes the breaker from any
  // state: an answer proves the origin is processing again.
  void on_success(bool probe);
  // A connection-level failure. A failed probe re-opens with a doubled cooldown.
  void on_failure(bool probe);
  // The probe ended without telling anything (refused stream, shutdown):
  // let the next admit() send another probe.
  void on_probe_inconclusive();

  State state() const { return state_; }
  // Open: milliseconds until a probe may go (0 when it may go now); else 0.
  int64_t remaining_ms() const;
  uint64_t opens() const { return opens_total_; }

 private:
  int64_t now_ms() const { return clock_.mono_ns() / 1'000'000; }
  void record(bool failure);
  void trip();
  void close();

  BreakerOptions o_;
  const Clock& clock_;
  std::function<double()> rand01_;
  State state_ = State::Closed;
  int consecutive_ = 0;
  uint64_t outcomes_ = 0;     // bit i = failure of the i-th most recent outcome
  int samples_ = 0;           // outcomes in the window (<= window)
  int open_streak_ = 0;       // opens since the last close (cooldown exponent)
  int64_t probe_at_ms_ = 0;
  uint64_t opens_total_ = 0;
};

// What the sender allows one origin (its pool).
struct OriginLimits {
  // Requests in flight at once (0: no cap). Web Push origins are chosen by
  // whoever subscribes: none may take more than this share of the sender's
  // in-flight window, so a peer that never answers cannot starve the others.
  size_t max_in_flight = 0;
  // Web Push: a certificate that fails verification ends the origin's jobs
  // at once instead of after the whole retry window.
  bool attacker_chosen = false;
  // The part of the sender's window all attacker-chosen origins share
  // (untrusted_window.h); null: none.
  UntrustedWindow* window = nullptr;
};

// The sender's use of a breaker for one pool: which transport errors count,
// the jobs held (without using up an attempt) while the breaker is open, and
// the jobs that wait unbuilt for the pool: over a Web Push origin's share of
// the in-flight window, or over an APNs/FCM pool's build-ahead bound
// (StreamBacklogs).
class OriginGuard {
 public:
  OriginGuard(BreakerOptions opts, const Clock& clock, std::function<double()> rand01, OriginLimits limits = {})
      : breaker_(opts, clock, std::move(rand01)), clock_(clock), limits_(limits) {}

  CircuitBreaker::Admit admit() { return breaker_.admit(); }
  void hold(const SendJob& job) {
    held_.push_back(WaitingJob{job, 0});
    count(1);
  }
  // The origin has its whole share in flight, or attacker-chosen origins
  // have theirs (UntrustedWindow): the job waits (wait()) until a request
  // completes (completed() hands one back).
  bool full() const { return own_share_full() || (limits_.window != nullptr && limits_.window->full()); }
  // since_ns: WaitingJob::since_ns.
  void wait(const SendJob& job, int64_t since_ns = 0) {
    waiting_.push_back(WaitingJob{job, since_ns});
    count(1);
    if (limits_.window != nullptr && limits_.window->full()) limits_.window->queue(this);
  }
  void submitted() {
    ++in_flight_;
    if (limits_.window != nullptr) limits_.window->submitted();
  }
  // A request of this origin completed: true with *next when a job waiting
  // for the origin's share may go now (an origin without a share hands
  // none back: its waiting jobs are the sender's build-ahead backlog).
  // While origins wait for the part of the window attacker-chosen origins
  // share, the freed place goes round robin among them, this one included:
  // an origin that keeps requests in flight does not keep the place from
  // one that has none.
  bool completed(SendJob* next) {
    if (in_flight_ > 0) {
      --in_flight_;
      if (limits_.window != nullptr) limits_.window->completed();
    }
    if (limits_.window != nullptr && limits_.window->queued()) {
      if (!waiting_.empty()) limits_.window->queue(this);
      return limits_.window->hand_over(next);
    }
    return limits_.max_in_flight > 0 && !full() && take_waiting(next);
  }
  size_t in_flight() const { return in_flight_; }
  WaitQueue& waiting() { return waiting_; }
  const WaitQueue& waiting() const { return waiting_; }
  // Jobs held by the breaker or waiting for the origin's share.
  size_t backlog() const { return held_.size() + waiting_.size(); }
  // Sheds the newest job of the backlog into *out (the waiting ones first:
  // they came last; then the held ones). *held: it was held. False: empty.
  bool take_newest(SendJob* out, bool* held) {
    if (!waiting_.empty()) {
      *out = waiting_.back().job;
      waiting_.pop_back();
      *held = false;
    } else if (!held_.empty()) {
      *out = held_.back().job;
      held_.pop_back();
      *held = true;
    } else {
      return false;
    }
    count(-1);
    return true;
  }
  // The newest job of the backlog (the one take_newest() would shed) into
  // *out; false when there is none.
  bool newest(SendJob* out) const {
    if (!waiting_.empty()) *out = waiting_.back().job;
    else if (!held_.empty()) *out = held_.back().job;
    else return false;
    return true;
  }
  // Attacker-chosen origins: hold(), wait(), completed() and take_newest()
  // keep *total (UntrustedBacklog's count of all such backlogs) in step;
  // housekeeping, which also moves jobs through held() and waiting(),
  // counts it again afterwards.
  void count_into(size_t* total) { total_ = total; }
  // How fast the origin answers (attacker-chosen origins: UntrustedBacklog).
  DrainMeter& meter() { return meter_; }
  const DrainMeter& meter() const { return meter_; }
  // Its jobs wait for the part of the window all attacker-chosen origins
  // share (UntrustedWindow), not for the origin itself.
  bool window_queued() const { return window_queued_; }
  // Nothing in flight, held or waiting: the pool may be closed.
  bool idle() const { return in_flight_ == 0 && held_.empty() && waiting_.empty(); }
  // Held jobs end now rather than wait: an attacker-chosen origin whose
  // certificate failed verification.
  bool fail_fast() const {
    return limits_.attacker_chosen && last_error_ == pool::TransportError::TlsVerifyFailed &&
           breaker_.state() != CircuitBreaker::State::Closed;
  }
  const OriginLimits& limits() const { return limits_; }
  // An HTTP response arrived. True when held jobs should now be released.
  bool on_response(bool probe);
  // A transport error. Counted as one failure per failed connection attempt
  // (pool_connect_failures is the pool's running count, so a pool failing its
  // whole queue at once counts its attempts, not its requests) and one per
  // lost or stalled connection (timeouts/losses on one connection within a
  // second are one event). Refused/unprocessed streams and shutdown are
  // neutral: the peer is alive and said no.
  void on_transport_error(pool::TransportError err, uint32_t conn_id, uint64_t pool_connect_failures, bool probe);
  // A request through this guard completed (err None: an HTTP answer).
  // ReleaseHeld: the breaker closed with jobs held, release them. HoldBack:
  // the probe never got a connection, so it goes back to the held jobs
  // (probing on the breaker's behalf must not use up its attempts) and the
  // caller does nothing else with it. pool supplies its connect-failure count.
  enum class Settle : uint8_t { Continue, ReleaseHeld, HoldBack };
  Settle settle(pool::TransportError err, uint32_t conn_id, const pool::Pool& pool, bool probe);
  // The probe admitted by admit() was not sent after all (build failed).
  void probe_abandoned() { breaker_.on_probe_inconclusive(); }

  // Held jobs in arrival order (since_ns 0), stored as runs like waiting().
  WaitQueue& held() { return held_; }
  const CircuitBreaker& breaker() const { return breaker_; }
  // Reason for jobs that give up while held: the last failure seen.
  const std::string& last_reason() const { return last_reason_; }
  // Housekeeping throttle for scanning held jobs (once per interval).
  bool scan_due(int64_t now_ms, int64_t interval_ms) {
    if (now_ms - last_scan_ms_ < interval_ms) return false;
    last_scan_ms_ = now_ms;
    return true;
  }

 private:
  CircuitBreaker breaker_;
  const Clock& clock_;
  OriginLimits limits_;
  // Runs of consecutive recipients (WaitQueue): a breaker open through an
  // outage holds its pool's share of the queue at ~0.1 byte a job.
  WaitQueue held_;
  WaitQueue waiting_;  // over the in-flight share or the build-ahead bound, in arrival order
  size_t in_flight_ = 0;
  pool::TransportError last_error_ = pool::TransportError::None;
  uint64_t seen_connect_failures_ = 0;
  uint32_t last_lost_conn_ = 0;
  int64_t last_lost_ms_ = 0;
  int64_t last_scan_ms_ = 0;
  std::string last_reason_ = "connect_failed";
  DrainMeter meter_;
  size_t* total_ = nullptr;  // count_into()

  friend class UntrustedWindow;
  bool own_share_full() const { return limits_.max_in_flight > 0 && in_flight_ >= limits_.max_in_flight; }
  // The oldest waiting job, unless the origin's own share is in flight.
  bool take_waiting(SendJob* out) {
    if (waiting_.empty() || own_share_full()) return false;
    *out = waiting_.front().job;
    waiting_.pop_front();
    count(-1);
    return true;
  }
  bool window_queued_ = false;  // in limits_.window's queue

  void count(int d) {
    if (total_ == nullptr) return;
    if (d > 0) ++*total_;
    else if (*total_ > 0) --*total_;
  }
};

}  // namespace pushgw::dispatch
