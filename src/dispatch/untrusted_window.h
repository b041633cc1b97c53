// The part of one sender's in-flight window that attacker-chosen origins
// (Web Push endpoints) may use together: half of it (the sender's
// max_in_flight / 2). Each origin already has its own share of the window
// (OriginLimits::max_in_flight, at most a quarter), but a subscriber can
// name many origins: a handful of tarpits (accept the streams, never answer)
// used to take the whole window until the request timeout, and no APNs or
// FCM send of any app could go meanwhile. Now a Web Push job that finds
// this part full waits in its origin's guard (OriginGuard::wait, as for the
// origin's own share, under UntrustedBacklog's bounds), and the guard is
// queued here; each Web Push request that completes hands one waiting job
// of the guards queued here over (round robin), so an origin with nothing in
// flight is still woken. Loop thread only.
#pragma once
#include <cstddef>
#include <deque>

#include "pushgw/job.h"

namespace pushgw::dispatch {

class OriginGuard;

class UntrustedWindow {
 public:
  explicit UntrustedWindow(size_t cap) : cap_(cap == 0 ? 1 : cap) {}

  bool full() const { return in_flight_ >= cap_; }
  size_t in_flight() const { return in_flight_; }
  void submitted() { ++in_flight_; }
  void completed() {
    if (in_flight_ > 0) --in_flight_;
  }
  // g has a job waiting while this part was full (once until handed over).
  void queue(OriginGuard* g);
  // Some origin waits for this part.
  bool queued() const { return !queued_.empty(); }
  // A Web Push request completed and there is room: the oldest queued
  // guard that may send hands over its oldest waiting job. False: none.
  bool hand_over(SendJob* out);
  // The guard's pool is closed.
  void forget(const OriginGuard* g);

 private:
  size_t cap_;
  size_t in_flight_ = 0;
  std::deque<OriginGuard*> queued_;
};

}  // namespace pushgw::dispatch
