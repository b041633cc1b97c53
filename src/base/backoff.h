// Reconnect backoff: exponential with full jitter, RNG and clock injected.
//
// After the n-th consecutive failure the next attempt waits a uniformly random
// delay in [0, min(cap, base * 2^(n-1))] ms ("full jitter": spreads the
// reconnects of many pools instead of synchronising them). A success resets.
// Not thread-safe; one per reconnecting thing (a pool, a Redis connection).
#pragma once
#include <cstdint>
#include <functional>

#include "pushgw/clock.h"

namespace pushgw::base {

struct BackoffOptions {
  int64_t base_ms = 100;
  int64_t cap_ms = 30000;
};

class Backoff {
 public:
  using Rng = std::function<uint64_t()>;  // uniform 64-bit values

  Backoff(BackoffOptions opts, Rng rng, const Clock& clock);

  // A connection was established: attempts may start at once again.
  void on_success();
  // One more consecutive failure: the next attempt waits next_delay() from now.
  void on_failure();
  // A fresh random delay for the current failure count (0 with no failures).
  int64_t next_delay();

  bool blocked() const { return remaining_ms() > 0; }
  int64_t remaining_ms() const;
  int failures() const { return failures_; }

 private:
  int64_t now_ms() const { return clock_.mono_ns() / 1'000'000; }

  BackoffOptions opts_;
  Rng rng_;
  const Clock& clock_;
  int failures_ = 0;
  int64_t ready_at_ms_ = 0;  // monotonic ms before which no attempt should start
};

// A per-instance PRNG (seeded from std::random_device) for production use.
Backoff::Rng make_default_rng();

}  // namespace pushgw::base
