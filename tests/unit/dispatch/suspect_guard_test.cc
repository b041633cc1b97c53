#include "dispatch/suspect_guard.h"

#include <gtest/gtest.h>

#include <memory>

namespace pushgw::dispatch {
namespace {

std::shared_ptr<AppTable> table() {
  auto t = std::make_shared<AppTable>();
  AppRuntime a;
  a.app_id = 0;
  a.platform = Platform::Apns;
  a.name = "shop-ios";
  t->push_back(a);
  a.app_id = 1;
  a.platform = Platform::Fcm;
  a.name = "shop-android";
  t->push_back(a);
  return t;
}

class SuspectGuardTest : public ::testing::Test {
 protected:
  SuspectGuardTest() : guard_(DeliveryConfig{}, obs::Logger()) { guard_.update_apps(table()); }

  void answers(uint16_t app, uint32_t finished, uint32_t mismatch, int64_t now_ms) {
    std::vector<SuspectGuard::Tally> t(2);
    t[app].finished = finished;
    t[app].mismatch = mismatch;
    t[app].reason = "DeviceTokenNotForTopic";
    guard_.report(t, now_ms);
    EXPECT_EQ(t[app].finished, 0u);  // handed over
  }

  SuspectGuard guard_;
  const int64_t t0_ = 1'700'000'000'000;
};

TEST(SuspectGuardClassify, MismatchAnswersAreTheAppLevelOnes) {
  Verdict v;
  v.kind = VerdictKind::Invalid;
  v.reason = "DeviceTokenNotForTopic";
  EXPECT_TRUE(SuspectGuard::is_mismatch(Platform::Apns, v));
  v.reason = "SENDER_ID_MISMATCH";
  EXPECT_TRUE(SuspectGuard::is_mismatch(Platform::Fcm, v));
  v.kind = VerdictKind::Unsubscribed;
  v.reason = "Unregistered";
  EXPECT_FALSE(SuspectGuard::is_mismatch(Platform::Apns, v));
  v.kind = VerdictKind::Failed;
  v.reason = "vapid_rejected";
  EXPECT_TRUE(SuspectGuard::is_mismatch(Platform::WebPush, v));
  EXPECT_FALSE(SuspectGuard::is_mismatch(Platform::Apns, v));
  v.kind = VerdictKind::Delivered;
  v.reason = "";
  EXPECT_FALSE(SuspectGuard::is_mismatch(Platform::WebPush, v));
}

TEST_F(SuspectGuardTest, ABurstTripsOnlyItsApp) {
  answers(0, 200, 200, t0_);
  EXPECT_TRUE(guard_.suspect(0));
  EXPECT_FALSE(guard_.suspect(1));
  auto s = guard_.suspects();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].app, "shop-ios");
  EXPECT_EQ(s[0].reason, "DeviceTokenNotForTopic");
  EXPECT_EQ(s[0].since_ms, t0_);
}

TEST_F(SuspectGuardTest, NeedsBothTheCountAndTheRatio) {
  answers(0, 49, 49, t0_);  // under suspect_min_verdicts
  EXPECT_FALSE(guard_.suspect(0));
  answers(0, 200, 3, t0_ + 1000);  // 52 of 249: over the count, under the ratio
  EXPECT_FALSE(guard_.suspect(0));
  answers(0, 10, 80, t0_ + 2000);  // 132 of 259: both
  EXPECT_TRUE(guard_.suspect(0));
}

TEST_F(SuspectGuardTest, ASlowTrickleUnderTheCountPerWindowNeverTrips) {
  // One mismatch every 1.5 s among nothing else: 40 per 60 s window.
  for (int i = 0; i < 400; ++i) {
    answers(0, 1, 1, t0_ + i * 1500);
    ASSERT_FALSE(guard_.suspect(0)) << i;
  }
}

TEST_F(SuspectGuardTest, ClearsAfterAWholeWindowUnderTheRatio) {
  answers(0, 100, 100, t0_);
  ASSERT_TRUE(guard_.suspect(0));
  // Good traffic: the share falls as the window slides, then stays under.
  int64_t cleared_at = 0;
  for (int s = 1; s <= 200 && cleared_at == 0; ++s) {
    answers(0, 10, 0, t0_ + s * 1000);
    if (!guard_.suspect(0)) cleared_at = s;
  }
  // Under the ratio from about 10 s on (100 of 200), then a whole window.
  EXPECT_GE(cleared_at, 60);
  EXPECT_LE(cleared_at, 75);
  EXPECT_TRUE(guard_.suspects().empty());
}

TEST_F(SuspectGuardTest, AChangedAppHasAFreshStateAndTheOldIdIsNotReported) {
  answers(0, 100, 100, t0_);
  ASSERT_TRUE(guard_.suspect(0));
  auto t = table();
  AppRuntime fixed = (*t)[0];
  fixed.app_id = 2;  // a reload appends the changed app under a new id
  t->push_back(fixed);
  guard_.update_apps(t);
  EXPECT_TRUE(guard_.suspect(0));   // jobs sent with the old config are still judged by it
  EXPECT_FALSE(guard_.suspect(2));
  EXPECT_TRUE(guard_.suspects().empty());
  int reported = 0;
  guard_.each_app([&](Platform, const std::string& app, bool suspect) {
    ++reported;
    if (app == "shop-ios") {
      EXPECT_FALSE(suspect);
    }
  });
  EXPECT_EQ(reported, 2);
}

}  // namespace
}  // namespace pushgw::dispatch
