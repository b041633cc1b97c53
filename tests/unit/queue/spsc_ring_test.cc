#include "queue/spsc_ring.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace pushgw::queue {
namespace {

TEST(SpscRing, RoundsCapacityAndRefusesWhenFull) {
  SpscRing<int> r(5);
  EXPECT_EQ(r.capacity(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(r.push(i));
  EXPECT_FALSE(r.push(99));
  int v = -1;
  ASSERT_TRUE(r.pop(v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(r.push(8));
  int out[16];
  EXPECT_EQ(r.pop_many(out, 16), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], i + 1);
  EXPECT_EQ(r.pop_many(out, 16), 0u);
}

TEST(SpscRing, PushManyStopsAtCapacity) {
  SpscRing<int> r(4);
  int in[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(r.push_many(in, 6), 4u);
  EXPECT_EQ(r.size_approx(), 4u);
}

// Every value crosses threads exactly once and in order.
TEST(SpscRing, TwoThreadsDeliverEverythingInOrder) {
  constexpr uint64_t kN = 2'000'000;
  SpscRing<uint64_t> r(1024);
  std::thread producer([&] {
    for (uint64_t i = 0; i < kN;) {
      if (r.push(i)) ++i;
      else std::this_thread::yield();
    }
  });
  uint64_t expect = 0;
  uint64_t buf[256];
  while (expect < kN) {
    size_t n = r.pop_many(buf, 256);
    if (n == 0) std::this_thread::yield();
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(buf[i], expect++);
  }
  producer.join();
  EXPECT_EQ(r.size_approx(), 0u);
}

}  // namespace
}  // namespace pushgw::queue
