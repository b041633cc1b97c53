#include "crypto/apns_token.h"

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "crypto/jwt.h"
#include "test_util.h"

namespace pushgw::crypto {
namespace {

using test::must;

constexpr int64_t kMin = 60 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;

struct Fixture {
  EvpPkeyPtr key = must(generate_p256());
  EvpPkeyPtr pub = test::public_only(key.get());
  ApnsTokenSource src{must(load_private_key_pem(private_key_to_pem(key.get()))), "ABCDE12345",
                      "KEY1234567"};
};

TEST(ApnsToken, FirstTokenIsSignedLazilyAndVerifies) {
  Fixture f;
  EXPECT_EQ(f.src.signatures(), 0u);
  auto t = f.src.token(kT0 + 999);
  ASSERT_TRUE(t);
  EXPECT_EQ(f.src.signatures(), 1u);
  EXPECT_TRUE(jwt_verify(*t, f.pub.get()));
  auto parts = jwt_decode(*t).value();
  test::Json h(parts.header_json);
  EXPECT_EQ(h.str("alg"), "ES256");
  EXPECT_EQ(h.str("kid"), "KEY1234567");
  test::Json c(parts.claims_json);
  EXPECT_EQ(c.str("iss"), "ABCDE12345");
  EXPECT_EQ(c.num("iat"), kT0 / 1000);
  // Independent check of the JOSE signature.
  EXPECT_TRUE(test::openssl_verify_es256(f.pub.get(), parts.signing_input, parts.signature));
}

TEST(ApnsToken, ReSignsAtFiftyMinutes) {
  Fixture f;
  auto first = f.src.token(kT0);
  EXPECT_EQ(f.src.token(kT0 + 49 * kMin), first);
  EXPECT_EQ(f.src.token(kT0 + 50 * kMin - 1), first);
  EXPECT_EQ(f.src.signatures(), 1u);
  auto second = f.src.token(kT0 + 50 * kMin);
  EXPECT_NE(*second, *first);
  EXPECT_EQ(f.src.signatures(), 2u);
  test::Json c(jwt_decode(*second).value().claims_json);
  EXPECT_EQ(c.num("iat"), (kT0 + 50 * kMin) / 1000);
  EXPECT_EQ(f.src.token(kT0 + 99 * kMin), second);
  EXPECT_EQ(f.src.signatures(), 2u);
  // The old token object stays valid for holders.
  EXPECT_TRUE(jwt_verify(*first, f.pub.get()));
}

TEST(ApnsToken, RejectedHonoursTwentyMinuteFloor) {
  Fixture f;
  auto t = f.src.token(kT0);
  EXPECT_FALSE(f.src.rejected(*t, kT0 + 10 * kMin));
  EXPECT_FALSE(f.src.rejected(*t, kT0 + 20 * kMin - 1));
  EXPECT_EQ(f.src.signatures(), 1u);
  EXPECT_EQ(f.src.token(kT0 + 10 * kMin), t);
  EXPECT_TRUE(f.src.rejected(*t, kT0 + 25 * kMin));
  EXPECT_EQ(f.src.signatures(), 2u);
  auto fresh = f.src.token(kT0 + 25 * kMin);
  EXPECT_NE(*fresh, *t);
  // Reports of the old token after the refresh change nothing.
  EXPECT_FALSE(f.src.rejected(*t, kT0 + 26 * kMin));
  // The new token is again protected for 20 minutes.
  EXPECT_FALSE(f.src.rejected(*fresh, kT0 + 40 * kMin));
  EXPECT_TRUE(f.src.rejected(*fresh, kT0 + 45 * kMin));
  EXPECT_EQ(f.src.signatures(), 3u);
  EXPECT_FALSE(f.src.rejected("not a token", kT0 + 100 * kMin));
}

TEST(ApnsToken, ConcurrentRejectionsCauseOneReSign) {
  Fixture f;
  auto t = f.src.token(kT0);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> resigned{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (f.src.rejected(*t, kT0 + 25 * kMin)) resigned.fetch_add(1);
      EXPECT_NE(*f.src.token(kT0 + 25 * kMin), *t);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(resigned.load(), 1);
  EXPECT_EQ(f.src.signatures(), 2u);
}

TEST(ApnsToken, ConcurrentFirstUseAndRefreshSignOnce) {
  Fixture f;
  constexpr int kThreads = 8;
  for (int64_t at : {kT0, kT0 + 50 * kMin, kT0 + 100 * kMin}) {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    std::vector<std::shared_ptr<const std::string>> seen(kThreads);
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        seen[static_cast<size_t>(i)] = f.src.token(at);
      });
    for (auto& th : threads) th.join();
    for (auto& s : seen) EXPECT_EQ(s, seen[0]);
  }
  EXPECT_EQ(f.src.signatures(), 3u);
}

TEST(ApnsToken, RefreshIntervalIsConfigurable) {
  Fixture f;
  f.src.set_refresh_after_ms(30 * kMin);
  auto a = f.src.token(kT0);
  EXPECT_EQ(f.src.token(kT0 + 30 * kMin - 1), a);
  EXPECT_NE(f.src.token(kT0 + 30 * kMin), a);
  EXPECT_EQ(f.src.signatures(), 2u);
}

TEST(ApnsToken, WrongKeyTypeGivesNoToken) {
  ApnsTokenSource src(must(generate_rsa(1024)), "T", "K");
  EXPECT_EQ(src.token(kT0), nullptr);
  EXPECT_EQ(src.signatures(), 0u);
}

}  // namespace
}  // namespace pushgw::crypto
