// DrainMeter: a Web Push origin's answers per busy second, and when it has
// been observed long enough to be judged.
#include "dispatch/drain_meter.h"

#include <gtest/gtest.h>

namespace pushgw::dispatch {
namespace {

// n seconds busy from *t, answering per_s a second.
void busy_for(DrainMeter& m, int64_t* t, int n, int per_s) {
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < per_s; ++k) m.answered();
    *t += 1000;
    m.sample(*t, true);
  }
}

TEST(DrainMeter, JudgedOnlyAfterTenBusySeconds) {
  DrainMeter m;
  int64_t t = 5'000;
  m.sample(t, true);
  busy_for(m, &t, 9, 0);
  EXPECT_FALSE(m.judged()) << "an origin still connecting is judged";
  busy_for(m, &t, 1, 0);
  EXPECT_TRUE(m.judged());
  EXPECT_EQ(m.rate(), 0.0);
}

TEST(DrainMeter, RateIsOverTheLastFiveBusySeconds) {
  DrainMeter m;
  int64_t t = 0;
  m.sample(t, true);
  busy_for(m, &t, 10, 100);
  EXPECT_DOUBLE_EQ(m.rate(), 100.0);
  busy_for(m, &t, 5, 0);  // stopped answering: five seconds later nothing is left of its rate
  EXPECT_DOUBLE_EQ(m.rate(), 0.0);
  EXPECT_DOUBLE_EQ(m.drains_within(30'000), 0.0);
}

// Idle seconds tell nothing about how fast it answers: an origin idle between
// two campaigns keeps its rate, and its busy time goes on where it was.
TEST(DrainMeter, IdleSecondsAreNotCounted) {
  DrainMeter m;
  int64_t t = 0;
  m.sample(t, true);
  busy_for(m, &t, 10, 50);
  ASSERT_TRUE(m.judged());
  // Its last second: the last answers, then nothing left (busy at its start only).
  for (int k = 0; k < 50; ++k) m.answered();
  t += 1000;
  m.sample(t, false);
  for (int i = 0; i < 600; ++i) {
    t += 1000;
    m.sample(t, false);
  }
  EXPECT_DOUBLE_EQ(m.rate(), 50.0);
  EXPECT_TRUE(m.judged());
  EXPECT_DOUBLE_EQ(m.drains_within(2'000), 100.0);
}

TEST(DrainMeter, SamplesAtMostOnceASecond) {
  DrainMeter m;
  int64_t t = 0;
  m.sample(t, true);
  for (int i = 0; i < 40; ++i) {  // 10 s in looks every 250 ms
    if (i % 4 == 0)
      for (int k = 0; k < 20; ++k) m.answered();
    t += 250;
    m.sample(t, true);
  }
  EXPECT_TRUE(m.judged());
  EXPECT_DOUBLE_EQ(m.rate(), 20.0);
}

}  // namespace
}  // namespace pushgw::dispatch
