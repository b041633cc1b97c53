// The store thread's record of a database that fails writes: since when
// (Counters::failing_since_ms: stats, and the daemon refuses sends
// meanwhile) and how long to back off before the next attempt (100 ms,
// doubling up to 5 s). Nothing recorded is lost meanwhile: the rings hold it.
// Store thread only; the counters it sets are read on any thread.
#pragma once
#include <chrono>

#include "pushgw/clock.h"

namespace pushgw::store::detail {

struct Counters;

class WriteOutage {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::milliseconds kMaxBackoff{5000};

  WriteOutage(Counters& counters, const Clock& clock) : counters_(counters), clock_(clock) {}

  // A write failed: counted; the outage starts unless one runs; the next
  // attempt waits longer. Returns that wait.
  std::chrono::milliseconds failed();
  // A write committed: the outage (if any) is over, the backoff starts anew.
  void ended();
  // A durability barrier went through: the database answers again (the
  // backoff is kept).
  void answered();

  // No write may be tried before this (a failure's backoff).
  SteadyTime blocked_until() const { return blocked_until_; }
  bool blocked(SteadyTime now) const { return now < blocked_until_; }

 private:
  Counters& counters_;
  const Clock& clock_;
  SteadyTime blocked_until_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace pushgw::store::detail
