// SuppressionSet: semantics, growth, and concurrent readers/writers while the
// table grows (meant to run under TSan as well: -DPUSHGW_TSAN=ON).
#include "store/suppression.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/key_hash.h"

namespace pushgw::store {
namespace {

constexpr HashKey kKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

uint64_t sip24(std::string_view m) { return detail::siphash<2, 4>(kKey, m); }
uint64_t sip13(std::string_view m) { return detail::siphash<1, 3>(kKey, m); }
uint64_t sip13_key0(std::string_view m) { return detail::siphash<1, 3>(HashKey{}, m); }

uint64_t key(uint64_t i) { return key_hash(kKey, Platform::Apns, "app", "token-" + std::to_string(i)); }

// The reference vectors of the SipHash paper (appendix A and its test
// vectors): key 00 01 .. 0f, message 00 01 .. (n-1).
TEST(KeyHash, SipHash24MatchesThePaper) {
  std::string msg;
  for (int i = 0; i < 64; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(sip24(std::string_view(msg).substr(0, 15)), 0xa129ca6149be45e5ULL);
  EXPECT_EQ(sip24(std::string_view(msg).substr(0, 0)), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(sip24(std::string_view(msg).substr(0, 8)), 0x93f5f5799a932462ULL);
  EXPECT_EQ(sip24(std::string_view(msg).substr(0, 63)), 0x958a324ceb064572ULL);
  // Fed in pieces, the same value.
  detail::SipHash24 h(kKey);
  h.update(std::string_view(msg).substr(0, 3));
  h.update(std::string_view(msg).substr(3, 9));
  h.update(std::string_view(msg).substr(12, 3));
  EXPECT_EQ(h.final(), 0xa129ca6149be45e5ULL);
}

// key_hash's variant, SipHash-1-3, on the same key and messages. The values
// are those of the reference implementation with cROUNDS 1, dROUNDS 3 (the
// empty message's is the first of the 1-3 vectors other implementations
// carry, dc c4 0f 05 58 01 ac ab); the same code with 2-4 gives the paper's
// vectors above, and with key 0 it gives CPython's bytes hash (PYTHONHASHSEED=0).
TEST(KeyHash, IsSipHash13) {
  std::string msg;
  for (int i = 0; i < 64; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(sip13(std::string_view(msg).substr(0, 0)), 0xabac0158050fc4dcULL);
  EXPECT_EQ(sip13(std::string_view(msg).substr(0, 8)), 0x369095118d299a8eULL);
  EXPECT_EQ(sip13(std::string_view(msg).substr(0, 15)), 0xd320d86d2a519956ULL);
  EXPECT_EQ(sip13(std::string_view(msg).substr(0, 63)), 0x9d199062b7bbb3a8ULL);
  EXPECT_EQ(sip13_key0("hello world, siphash-1-3"), 0x8d24f6f1680332c2ULL);  // CPython: the same
  // key_hash is SipHash-1-3 of the framed triple: platform, app length (4 bytes LE), app, token.
  const std::string framed = std::string("\x00\x03\x00\x00\x00", 5) + "app" + "token-7";
  EXPECT_EQ(key_hash(kKey, Platform::Apns, "app", "token-7"), sip13(framed));
}

// Pieces of every length and alignment (the bytes that do not fill a block
// wait for the next piece): any split of any prefix of the message hashes
// as the whole, whose values the vectors above pin for 0, 8, 15 and 63 bytes.
TEST(KeyHash, AnySplitIntoThreePiecesHashesAsTheWhole) {
  std::string msg;
  for (int i = 0; i < 64; ++i) msg.push_back(static_cast<char>(i));
  const std::string_view m(msg);
  for (size_t len = 0; len <= 40; ++len) {
    const uint64_t whole = sip13(m.substr(0, len));
    for (size_t a = 0; a <= len; ++a)
      for (size_t b = a; b <= len; ++b) {
        detail::SipHash13 h(kKey);
        h.update(m.substr(0, a));
        h.update(m.substr(a, b - a));
        h.update(m.substr(b, len - b));
        ASSERT_EQ(h.final(), whole) << len << " split at " << a << ", " << b;
      }
  }
}

// Keyed: another installation's key gives unrelated values, so a token
// crafted to collide under one key (or under an unkeyed hash) does not.
TEST(KeyHash, DependsOnTheInstallationKey) {
  const HashKey other{kKey.k0 ^ 1, kKey.k1};
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string t = "token-" + std::to_string(i);
    same += key_hash(kKey, Platform::Apns, "app", t) == key_hash(other, Platform::Apns, "app", t);
  }
  EXPECT_EQ(same, 0);
}

TEST(KeyHash, SeparatesPlatformAppAndTokenAndNeverReturnsZero) {
  EXPECT_NE(key_hash(kKey, Platform::Apns, "a", "t"), key_hash(kKey, Platform::Fcm, "a", "t"));
  EXPECT_NE(key_hash(kKey, Platform::Apns, "a", "t"), key_hash(kKey, Platform::Apns, "b", "t"));
  EXPECT_NE(key_hash(kKey, Platform::Apns, "ab", "t"), key_hash(kKey, Platform::Apns, "a", "bt"));
  EXPECT_EQ(key_hash(kKey, Platform::WebPush, "w", std::string(1000, 'x')),
            key_hash(kKey, Platform::WebPush, "w", std::string(1000, 'x')));
  EXPECT_NE(key_hash(kKey, Platform::WebPush, "w", std::string(1000, 'x')),
            key_hash(kKey, Platform::WebPush, "w", std::string(999, 'x') + "y"));
  // Low bits (the probe index) spread evenly over sequential tokens.
  std::vector<int> buckets(64, 0);
  for (uint64_t i = 0; i < 64000; ++i) ++buckets[key(i) & 63];
  for (int b : buckets) {
    EXPECT_GT(b, 800);
    EXPECT_LT(b, 1200);
  }
}

TEST(SuppressionSet, PutFindEraseAndRegisteredAt) {
  SuppressionSet s;
  int64_t since = 0;
  EXPECT_FALSE(s.find(key(1), &since));
  EXPECT_TRUE(s.put(key(1), 1000));
  EXPECT_TRUE(s.find(key(1), &since));
  EXPECT_EQ(since, 1000);
  EXPECT_TRUE(s.put(key(1), 5000));  // keeps the first since
  EXPECT_TRUE(s.find(key(1), &since));
  EXPECT_EQ(since, 1000);
  EXPECT_EQ(s.entries(), 1u);

  EXPECT_FALSE(s.erase(key(1), 999));  // registered before the verdict: stays
  EXPECT_TRUE(s.find(key(1), nullptr));
  EXPECT_TRUE(s.erase(key(1), 1001));
  EXPECT_FALSE(s.find(key(1), nullptr));
  EXPECT_FALSE(s.erase(key(1)));
  EXPECT_EQ(s.entries(), 0u);

  EXPECT_TRUE(s.put(key(1), 7));  // erased keys come back
  EXPECT_TRUE(s.find(key(1), &since));
  EXPECT_EQ(since, 7);
}

TEST(SuppressionSet, GrowsOnTheStoreThreadAndDropsErasedKeys) {
  SuppressionSet s;
  const size_t cap0 = s.capacity();
  const uint64_t n = cap0;  // more than the hard limit of the first table
  for (uint64_t i = 0; i < n; ++i) {
    if (!s.put(key(i), static_cast<int64_t>(i))) {
      EXPECT_TRUE(s.wants_growth());
      EXPECT_TRUE(s.maintain());
      ASSERT_TRUE(s.put(key(i), static_cast<int64_t>(i)));
    }
    if (s.wants_growth()) s.maintain();
  }
  EXPECT_GT(s.capacity(), cap0);
  EXPECT_EQ(s.entries(), n);
  for (uint64_t i = 0; i < n; ++i) {
    int64_t since = -1;
    ASSERT_TRUE(s.find(key(i), &since)) << i;
    ASSERT_EQ(since, static_cast<int64_t>(i));
  }
  for (uint64_t i = 0; i < n; ++i) s.erase(key(i));
  EXPECT_EQ(s.entries(), 0u);
  EXPECT_TRUE(s.maintain(true));  // rebuild without the erased keys
  EXPECT_EQ(s.capacity(), SuppressionSet::kMinCapacity);
  EXPECT_FALSE(s.find(key(3), nullptr));
  EXPECT_LT(s.memory_bytes(), SuppressionSet::kMinCapacity * 16 + 4096);
}

// Readers must never miss a present key or see an absent one, while writers
// insert and erase and the store thread keeps growing/rebuilding the table.
TEST(SuppressionSet, ConcurrentReadsWhileInsertingErasingAndGrowing) {
  SuppressionSet s;
  constexpr uint64_t kStable = 20000;   // present all along
  constexpr uint64_t kDoomed = 20000;   // present at start, erased during the run
  constexpr uint64_t kNew = 150000;     // inserted during the run (forces growth)
  for (uint64_t i = 0; i < kStable + kDoomed; ++i) ASSERT_TRUE(s.put(key(i), 1));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> misses{0}, ghosts{0}, reads{0};
  std::atomic<int> writers_left{2};

  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      uint64_t i = static_cast<uint64_t>(r) * 7919;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!s.find(key(i % kStable), nullptr)) misses.fetch_add(1);
        if (s.find(key(10'000'000 + i % 100000), nullptr)) ghosts.fetch_add(1);  // never inserted
        reads.fetch_add(2, std::memory_order_relaxed);
        ++i;
      }
    });
  }
  threads.emplace_back([&] {  // inserter
    for (uint64_t i = 0; i < kNew; ++i) {
      uint64_t k = key(1'000'000 + i);
      while (!s.put(k, 2)) std::this_thread::yield();  // table full: the maintainer grows it
    }
    writers_left.fetch_sub(1);
  });
  threads.emplace_back([&] {  // eraser (forget)
    for (uint64_t i = kStable; i < kStable + kDoomed; ++i) EXPECT_TRUE(s.erase(key(i)));
    writers_left.fetch_sub(1);
  });
  int swaps = 0;
  while (writers_left.load() > 0) {  // this thread plays the store thread
    if (s.maintain()) ++swaps;
    std::this_thread::yield();
  }
  s.maintain(true);
  ++swaps;
  stop.store(true);
  for (auto& t : threads) t.join();

  EXPECT_EQ(misses.load(), 0u);
  EXPECT_EQ(ghosts.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GE(swaps, 2);
  for (uint64_t i = 0; i < kStable; ++i) ASSERT_TRUE(s.find(key(i), nullptr));
  for (uint64_t i = kStable; i < kStable + kDoomed; ++i) ASSERT_FALSE(s.find(key(i), nullptr)) << i;
  for (uint64_t i = 0; i < kNew; ++i) ASSERT_TRUE(s.find(key(1'000'000 + i), nullptr)) << i;
  EXPECT_EQ(s.entries(), kStable + kNew);
}

}  // namespace
}  // namespace pushgw::store
