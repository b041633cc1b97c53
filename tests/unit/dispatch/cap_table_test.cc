#include "dispatch/cap_table.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace pushgw::dispatch {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;

TEST(CapTable, NoLimitsAdmitsEverything) {
  CapTable t(CapLimits{});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(t.admit(1, kT0));
}

TEST(CapTable, HourlyCapIsARollingWindow) {
  CapTable t(CapLimits{2, 0});
  EXPECT_TRUE(t.admit(7, kT0));
  EXPECT_TRUE(t.admit(7, kT0 + 10 * kMin));
  EXPECT_FALSE(t.admit(7, kT0 + 20 * kMin));      // third within the hour
  EXPECT_TRUE(t.admit(8, kT0 + 20 * kMin));       // another recipient is independent
  EXPECT_FALSE(t.admit(7, kT0 + 60 * kMin - 1));  // the first send is not yet 1 h old
  EXPECT_TRUE(t.admit(7, kT0 + 60 * kMin));       // window is (now - 1 h, now]: it left
  EXPECT_FALSE(t.admit(7, kT0 + 65 * kMin));      // sends at +10 and +60 are inside
  EXPECT_EQ(t.count(7, kT0 + 65 * kMin, CapTable::kHourMs), 2);
}

TEST(CapTable, DailyCapCountsTheLast24Hours) {
  CapTable t(CapLimits{0, 3});
  EXPECT_TRUE(t.admit(1, kT0));
  EXPECT_TRUE(t.admit(1, kT0 + 5 * 60 * kMin));
  EXPECT_TRUE(t.admit(1, kT0 + 10 * 60 * kMin));
  EXPECT_FALSE(t.admit(1, kT0 + 23 * 60 * kMin));
  EXPECT_TRUE(t.admit(1, kT0 + CapTable::kDayMs + 1));
  EXPECT_FALSE(t.admit(1, kT0 + CapTable::kDayMs + 2));
}

TEST(CapTable, BothCapsApply) {
  CapTable t(CapLimits{1, 2});
  EXPECT_TRUE(t.admit(1, kT0));
  EXPECT_FALSE(t.admit(1, kT0 + 30 * kMin));                  // hourly
  EXPECT_TRUE(t.admit(1, kT0 + 61 * kMin));
  EXPECT_FALSE(t.admit(1, kT0 + 200 * kMin));                 // daily (2 in 24 h)
}

TEST(CapTable, LoadedHistoryCounts) {
  CapTable t(CapLimits{0, 2});
  t.load(5, kT0 - 2 * 60 * kMin);
  t.load(5, kT0 - 3 * 60 * kMin);  // out of order is fine
  EXPECT_FALSE(t.admit(5, kT0));
  EXPECT_EQ(t.count(5, kT0, CapTable::kDayMs), 2);
  EXPECT_TRUE(t.admit(5, kT0 - 3 * 60 * kMin + CapTable::kDayMs + 1));
}

TEST(CapTable, ConcurrentAdmitsNeverExceedTheCap) {
  CapTable t(CapLimits{0, 50}, 4);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 1000; ++k)
        if (t.admit(42, kT0 + k)) admitted.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 50);
}

}  // namespace
}  // namespace pushgw::dispatch
