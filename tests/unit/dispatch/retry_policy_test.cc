#include "dispatch/retry_policy.h"

#include <gtest/gtest.h>

namespace pushgw::dispatch {
namespace {

RetryInput at(int attempts, int64_t now = 1000) {
  RetryInput in;
  in.attempts_done = attempts;
  in.now_ms = now;
  in.first_try_ms = 1000;
  return in;
}

TEST(RetryPolicy, FullJitterStaysUnderTheDoublingCeiling) {
  RetryPolicy p;
  p.base_ms = 100;
  p.cap_ms = 1000;
  p.max_attempts = 10;
  auto top = [] { return 0.999999; };
  auto bottom = [] { return 0.0; };
  EXPECT_EQ(next_retry_delay(p, at(1), top), 100);
  EXPECT_EQ(next_retry_delay(p, at(2), top), 200);
  EXPECT_EQ(next_retry_delay(p, at(3), top), 400);
  EXPECT_EQ(next_retry_delay(p, at(5), top), 1000);  // capped
  EXPECT_EQ(next_retry_delay(p, at(3), bottom), 0);   // full jitter reaches zero
}

TEST(RetryPolicy, GivesUpAfterMaxAttempts) {
  RetryPolicy p;
  p.max_attempts = 3;
  auto r = [] { return 0.5; };
  EXPECT_GE(next_retry_delay(p, at(2), r), 0);
  EXPECT_EQ(next_retry_delay(p, at(3), r), -1);
}

TEST(RetryPolicy, RetryAfterAndProviderFloorRaiseTheDelay) {
  RetryPolicy p;
  p.max_retry_ms = 600'000;
  auto r = [] { return 0.1; };
  RetryInput in = at(1);
  in.retry_after_ms = 5000;
  EXPECT_EQ(next_retry_delay(p, in, r), 5000);
  in.retry_after_ms = -1;
  in.min_delay_ms = 60'000;  // FCM QUOTA_EXCEEDED
  EXPECT_EQ(next_retry_delay(p, in, r), 60'000);
}

TEST(RetryPolicy, NeverPastTheRetryWindowOrExpiry) {
  RetryPolicy p;
  p.max_retry_ms = 10'000;
  auto r = [] { return 0.0; };
  RetryInput in = at(1, 1000);
  in.retry_after_ms = 20'000;  // would land after first_try + 10 s
  EXPECT_EQ(next_retry_delay(p, in, r), -1);
  in.retry_after_ms = 2000;
  in.expires_at_ms = 2500;  // expires before the retry
  EXPECT_EQ(next_retry_delay(p, in, r), -1);
  in.expires_at_ms = 5000;
  EXPECT_EQ(next_retry_delay(p, in, r), 2000);
}

}  // namespace
}  // namespace pushgw::dispatch
