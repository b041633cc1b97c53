#include <gtest/gtest.h>

#include "faults.h"
#include "script.h"

namespace pushgw::sim {
namespace {

TEST(Faults, ParsesEverySpec) {
  auto f = parse_faults(
      "goaway_after=10\nreset_after=3\n  stall \nrefuse_every=4\nmax_streams_after=5:2\nrefuse_for=7\nbad_tls\n\n");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->goaway_after, 10u);
  EXPECT_EQ(f->reset_after, 3u);
  EXPECT_TRUE(f->stall);
  EXPECT_EQ(f->refuse_every, 4u);
  EXPECT_EQ(f->max_streams_after, 5u);
  EXPECT_EQ(f->max_streams_to, 2u);
  EXPECT_EQ(f->refuse_for_s, 7u);
  EXPECT_TRUE(f->bad_tls);
  // to_text round-trips.
  auto again = parse_faults(f->to_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_text(), f->to_text());
}

TEST(Faults, ParsesStallAfterAndJwtRejections) {
  auto f = parse_faults("stall_after=100:1\nreject_jwt=current\nreject_jwt_before=1700000000\n"
                        "reject_jwt_reason=InvalidProviderToken");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->stall_after, 100u);
  EXPECT_EQ(f->stall_connections, 1u);
  EXPECT_EQ(f->reject_jwt, FaultSet::RejectJwt::Current);
  EXPECT_EQ(f->reject_jwt_before_s, 1700000000);
  EXPECT_TRUE(f->reject_jwt_invalid);
  EXPECT_FALSE(f->empty());
  auto again = parse_faults(f->to_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_text(), f->to_text());
  auto every = parse_faults("stall_after=0\nreject_jwt=all");
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->stall_connections, 0u);
  EXPECT_EQ(every->reject_jwt, FaultSet::RejectJwt::All);
  EXPECT_FALSE(every->reject_jwt_invalid);
  for (const char* bad : {"stall_after", "stall_after=1:0", "stall_after=1:", "stall_after=x", "reject_jwt=some",
                          "reject_jwt", "reject_jwt_before=-5", "reject_jwt_reason=Forbidden"}) {
    auto r = parse_faults(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_fault") << bad;
  }
}

TEST(FaultBoard, StallAfterLimitsHowManyConnectionsStall) {
  ManualClock clock;
  FaultBoard board(clock);
  board.set(parse_faults("stall_after=5:2").value());
  EXPECT_TRUE(board.claim_stall());
  EXPECT_TRUE(board.claim_stall());
  EXPECT_FALSE(board.claim_stall());
  board.set(parse_faults("stall_after=5:1").value());  // a new set starts counting again
  EXPECT_TRUE(board.claim_stall());
  EXPECT_FALSE(board.claim_stall());
  board.set(parse_faults("stall_after=5").value());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(board.claim_stall());
}

TEST(Faults, EmptyTextClears) {
  auto f = parse_faults("");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  auto crlf = parse_faults("\r\n  \n");
  ASSERT_TRUE(crlf.ok());
  EXPECT_TRUE(crlf->empty());
}

TEST(Faults, ZeroIsAValidCount) {
  auto f = parse_faults("goaway_after=0");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->goaway_after.has_value());
  EXPECT_EQ(*f->goaway_after, 0u);
}

TEST(Faults, RejectsBadSpecs) {
  for (const char* bad : {"goaway_after", "goaway_after=", "goaway_after=-1", "goaway_after=x", "stall=1",
                          "max_streams_after=5", "max_streams_after=5:", "max_streams_after=:2", "explode",
                          "refuse_for=1.5", "bad_tls=yes"}) {
    auto f = parse_faults(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.error().code, "bad_fault") << bad;
  }
}

TEST(FaultBoard, ReplacesAndCountsGenerations) {
  ManualClock clock;
  FaultBoard board(clock);
  EXPECT_EQ(board.generation(), 0u);
  EXPECT_FALSE(board.refusing());
  board.set(parse_faults("stall").value());
  EXPECT_EQ(board.generation(), 1u);
  EXPECT_TRUE(board.get().stall);
  board.set(parse_faults("bad_tls").value());
  EXPECT_FALSE(board.get().stall);  // replaced, not merged
  EXPECT_TRUE(board.get().bad_tls);
  EXPECT_EQ(board.generation(), 2u);
}

TEST(FaultBoard, RefuseWindowEnds) {
  ManualClock clock;
  FaultBoard board(clock);
  board.set(parse_faults("refuse_for=2").value());
  EXPECT_TRUE(board.refusing());
  clock.advance_ms(1999);
  EXPECT_TRUE(board.refusing());
  clock.advance_ms(1);
  EXPECT_FALSE(board.refusing());
}

TEST(Script, ApnsPrefixes) {
  const std::string tail(60, 'a');
  EXPECT_EQ(apns_script_for("410a" + tail).kind, ApnsScript::kUnregistered);
  EXPECT_EQ(apns_script_for("4000" + tail).kind, ApnsScript::kBadDeviceToken);
  EXPECT_EQ(apns_script_for("4001" + tail).kind, ApnsScript::kNotForTopic);
  EXPECT_EQ(apns_script_for("4291" + tail).kind, ApnsScript::kTooManyFirst);
  EXPECT_EQ(apns_script_for("5000" + tail).kind, ApnsScript::kInternalError);
  EXPECT_EQ(apns_script_for("DE1A" + tail).kind, ApnsScript::kSlow);  // hex case does not matter
  EXPECT_EQ(apns_script_for("e0e0" + tail).kind, ApnsScript::kExpiredProviderFirst);
  auto m = apns_script_for("5037" + tail);
  EXPECT_EQ(m.kind, ApnsScript::kUnavailableFirstN);
  EXPECT_EQ(m.n, 7u);
  EXPECT_EQ(apns_script_for("5030" + tail).kind, ApnsScript::kNone);  // N must be 1-9
  EXPECT_EQ(apns_script_for("abcd" + tail).kind, ApnsScript::kNone);
  EXPECT_EQ(apns_script_for("4002" + tail).kind, ApnsScript::kNone);
}

TEST(Script, FcmAndWebPushPrefixes) {
  EXPECT_EQ(fcm_script_for("unregistered-1"), FcmScript::kUnregistered);
  EXPECT_EQ(fcm_script_for("invalid-x"), FcmScript::kInvalid);
  EXPECT_EQ(fcm_script_for("badpayload-x"), FcmScript::kBadPayload);
  EXPECT_EQ(fcm_script_for("mismatch-x"), FcmScript::kMismatch);
  EXPECT_EQ(fcm_script_for("quota-x"), FcmScript::kQuotaFirst);
  EXPECT_EQ(fcm_script_for("unavailable-x"), FcmScript::kUnavailableFirst);
  EXPECT_EQ(fcm_script_for("internal-x"), FcmScript::kInternalFirst);
  EXPECT_EQ(fcm_script_for("thirdparty-x"), FcmScript::kThirdParty);
  EXPECT_EQ(fcm_script_for("slow-x"), FcmScript::kSlow);
  EXPECT_EQ(fcm_script_for("dGVzdA:APA91b"), FcmScript::kNone);
  EXPECT_EQ(webpush_script_for("gone-1"), WebPushScript::kGone);
  EXPECT_EQ(webpush_script_for("notfound-1"), WebPushScript::kNotFound);
  EXPECT_EQ(webpush_script_for("toolarge-1"), WebPushScript::kTooLarge);
  EXPECT_EQ(webpush_script_for("ratelimit-1"), WebPushScript::kRateLimitFirst);
  EXPECT_EQ(webpush_script_for("unavail-1"), WebPushScript::kUnavailableFirst);
  EXPECT_EQ(webpush_script_for("slow-1"), WebPushScript::kSlow);
  EXPECT_EQ(webpush_script_for("sub-1"), WebPushScript::kNone);
}

TEST(Script, FirstNCountsPerKeyAndClears) {
  FirstN f;
  EXPECT_TRUE(f.take("a", 2));
  EXPECT_TRUE(f.take("a", 2));
  EXPECT_FALSE(f.take("a", 2));
  EXPECT_TRUE(f.take("b", 1));
  EXPECT_FALSE(f.take("b", 1));
  f.clear();
  EXPECT_TRUE(f.take("a", 1));
}

}  // namespace
}  // namespace pushgw::sim
