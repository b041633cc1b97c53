// When (and whether) to try a recipient again. Pure: the caller passes the
// clock reading and a random source, so tests drive it deterministically.
#pragma once
#include <cstdint>
#include <functional>

namespace pushgw::dispatch {

struct RetryPolicy {
  int max_attempts = 5;            // total sends, including the first
  int64_t max_retry_ms = 300'000;  // give up when the next try would start later than first try + this
  int64_t base_ms = 250;           // first backoff ceiling; doubles each attempt
  int64_t cap_ms = 60'000;         // backoff ceiling
};

struct RetryInput {
  int attempts_done = 1;          // sends already made (>= 1)
  int64_t now_ms = 0;
  int64_t first_try_ms = 0;       // when the first send was made
  int64_t expires_at_ms = 0;      // 0: no expiry
  int64_t retry_after_ms = -1;    // server's Retry-After, -1: none
  int64_t min_delay_ms = 0;       // provider floor (FCM quota: 60 s)
};

// Delay in ms before the next try, or -1 to give up. Exponential backoff with
// full jitter (uniform in [0, min(cap, base*2^(n-1))]); a Retry-After or a
// provider floor raises it. rand01 returns a uniform double in [0, 1).
int64_t next_retry_delay(const RetryPolicy& p, const RetryInput& in, const std::function<double()>& rand01);

}  // namespace pushgw::dispatch
