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

using Rejection = ApnsTokenSource::Rejection;
constexpr int64_t kSec = 1000;

TEST(ApnsToken, RejectedCurrentTokenIsReplacedAtOnce) {
  Fixture f;
  auto t = f.src.token(kT0);
  // Signed seconds ago, yet refused (the case): waiting for the
  // 20-minute floor would stop the app, so a new one is signed now.
  EXPECT_EQ(f.src.rejected(*t, kT0 + 5 * kSec), Rejection::Replaced);
  EXPECT_EQ(f.src.signatures(), 2u);
  auto fresh = f.src.token(kT0 + 5 * kSec);
  EXPECT_NE(*fresh, *t);
  EXPECT_TRUE(jwt_verify(*fresh, f.pub.get()));
  test::Json c(jwt_decode(*fresh).value().claims_json);
  EXPECT_EQ(c.num("iat"), (kT0 + 5 * kSec) / 1000);
  // Late reports of the old token (other streams) change nothing.
  EXPECT_EQ(f.src.rejected(*t, kT0 + 6 * kSec), Rejection::Replaced);
  EXPECT_EQ(f.src.token(kT0 + 6 * kSec), fresh);
  EXPECT_EQ(f.src.signatures(), 2u);
}

TEST(ApnsToken, FreshTokenRejectedTooIsNotReplacedUntilTheFloor) {
  Fixture f;
  auto t = f.src.token(kT0);
  ASSERT_EQ(f.src.rejected(*t, kT0 + kSec), Rejection::Replaced);
  auto fresh = f.src.token(kT0 + kSec);
  // No loop: the renewed token is refused as well, so it is not replaced.
  EXPECT_EQ(f.src.rejected(*fresh, kT0 + 2 * kSec), Rejection::RefusedFirst);
  EXPECT_EQ(f.src.rejected(*fresh, kT0 + 3 * kSec), Rejection::Refused);
  EXPECT_EQ(f.src.rejected(*t, kT0 + 3 * kSec), Rejection::Replaced);  // a stale report: resend with the current one
  EXPECT_EQ(f.src.token(kT0 + 19 * kMin), fresh);
  EXPECT_EQ(f.src.rejected(*fresh, kT0 + 19 * kMin), Rejection::Refused);
  EXPECT_EQ(f.src.signatures(), 2u);
  // Twenty minutes after the last signature, the earliest Apple allows, one
  // more try; it is again on probation.
  auto retry = f.src.token(kT0 + kSec + 20 * kMin);
  EXPECT_NE(*retry, *fresh);
  EXPECT_EQ(f.src.signatures(), 3u);
  EXPECT_EQ(f.src.rejected(*retry, kT0 + 21 * kMin), Rejection::RefusedFirst);
  EXPECT_EQ(f.src.signatures(), 3u);
  EXPECT_EQ(f.src.token(kT0 + 22 * kMin), retry);
}

TEST(ApnsToken, RenewedTokenThatWorkedIsReplacedAgainAfterTheFloor) {
  Fixture f;
  auto t = f.src.token(kT0);
  ASSERT_EQ(f.src.rejected(*t, kT0), Rejection::Replaced);
  auto fresh = f.src.token(kT0);
  // Used for 25 minutes, then rejected: no longer a fresh token's failure.
  EXPECT_EQ(f.src.rejected(*fresh, kT0 + 25 * kMin), Rejection::Replaced);
  EXPECT_EQ(f.src.signatures(), 3u);
  // A scheduled token is replaced at once whatever its age.
  auto scheduled = f.src.token(kT0 + 25 * kMin + 50 * kMin);
  EXPECT_EQ(f.src.signatures(), 4u);
  EXPECT_EQ(f.src.rejected(*scheduled, kT0 + 25 * kMin + 50 * kMin + kSec), Rejection::Replaced);
  EXPECT_EQ(f.src.signatures(), 5u);
}

TEST(ApnsToken, ConcurrentRejectionsCauseOneReSign) {
  Fixture f;
  auto t = f.src.token(kT0);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int n = 0; n < 50; ++n) EXPECT_EQ(f.src.rejected(*t, kT0 + 10 * kSec), Rejection::Replaced);
      EXPECT_NE(*f.src.token(kT0 + 10 * kSec), *t);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(f.src.signatures(), 2u);
}

TEST(ApnsToken, ConcurrentRejectionsOfTheFreshTokenReportOnceAndSignNothing) {
  Fixture f;
  auto t = f.src.token(kT0);
  ASSERT_EQ(f.src.rejected(*t, kT0), Rejection::Replaced);
  auto fresh = f.src.token(kT0);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> first{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int n = 0; n < 50; ++n) {
        const Rejection r = f.src.rejected(*fresh, kT0 + kSec);
        if (r == Rejection::RefusedFirst) first.fetch_add(1);
        else if (r == Rejection::Refused) refused.fetch_add(1);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(refused.load(), kThreads * 50 - 1);
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
