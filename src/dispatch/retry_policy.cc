#include "dispatch/retry_policy.h"

#include <algorithm>

namespace pushgw::dispatch {

int64_t next_retry_delay(const RetryPolicy& p, const RetryInput& in, const std::function<double()>& rand01) {
  if (in.attempts_done >= p.max_attempts) return -1;
  const int shift = std::min(in.attempts_done - 1, 20);
  const int64_t ceiling = std::min(p.cap_ms, p.base_ms << shift);
  int64_t delay = static_cast<int64_t>(rand01() * static_cast<double>(ceiling + 1));
  delay = std::max(delay, in.min_delay_ms);
  if (in.retry_after_ms >= 0) delay = std::max(delay, in.retry_after_ms);
  const int64_t at = in.now_ms + delay;
  if (at > in.first_try_ms + p.max_retry_ms) return -1;
  if (in.expires_at_ms > 0 && at >= in.expires_at_ms) return -1;
  return delay;
}

}  // namespace pushgw::dispatch
