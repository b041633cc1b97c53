#include "base/backoff.h"

#include <gtest/gtest.h>

namespace pushgw::base {
namespace {

TEST(Backoff, FullJitterGrowsExponentiallyUpToTheCap) {
  ManualClock clock;
  uint64_t next = UINT64_MAX;  // the RNG returns this; delay = value % (ceiling + 1)
  Backoff b(BackoffOptions{100, 1000}, [&] { return next; }, clock);
  EXPECT_EQ(b.next_delay(), 0);  // no failure yet
  EXPECT_FALSE(b.blocked());
  // With rng = ceiling, the delay equals the ceiling: 100, 200, 400, 800, 1000, 1000.
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t c : ceilings) {
    next = static_cast<uint64_t>(c);
    b.on_failure();
    EXPECT_EQ(b.remaining_ms(), c);
    EXPECT_EQ(b.next_delay(), c);
    next = static_cast<uint64_t>(c) + 1;  // wraps to 0: full jitter reaches zero
    EXPECT_EQ(b.next_delay(), 0);
  }
  EXPECT_EQ(b.failures(), 7);
}

TEST(Backoff, DelayIsAlwaysWithinBounds) {
  ManualClock clock;
  uint64_t x = 88172645463325252ull;
  Backoff b(BackoffOptions{100, 30000}, [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }, clock);
  for (int n = 1; n <= 40; ++n) {
    b.on_failure();
    int64_t ceiling = std::min<int64_t>(30000, n < 20 ? 100LL << (n - 1) : 30000);
    for (int k = 0; k < 50; ++k) {
      int64_t d = b.next_delay();
      EXPECT_GE(d, 0);
      EXPECT_LE(d, ceiling);
    }
  }
}

TEST(Backoff, BlocksUntilTheClockPassesAndResetsOnSuccess) {
  ManualClock clock;
  Backoff b(BackoffOptions{100, 30000}, [] { return uint64_t{150}; }, clock);
  b.on_failure();                     // ceiling 100: 150 % 101 = 49
  EXPECT_EQ(b.remaining_ms(), 49);
  EXPECT_TRUE(b.blocked());
  clock.advance_ms(48);
  EXPECT_TRUE(b.blocked());
  clock.advance_ms(1);
  EXPECT_FALSE(b.blocked());
  b.on_failure();                     // ceiling 200: 150
  EXPECT_EQ(b.remaining_ms(), 150);
  b.on_success();
  EXPECT_FALSE(b.blocked());
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.next_delay(), 0);
}

TEST(Backoff, DefaultRngVaries) {
  auto rng = make_default_rng();
  uint64_t a = rng(), b = rng(), c = rng();
  EXPECT_FALSE(a == b && b == c);
}

}  // namespace
}  // namespace pushgw::base
