#include <gtest/gtest.h>

#include "apns.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "sim_test_util.h"

namespace pushgw::sim {
namespace {

using test::Json;
using test::make_request;

constexpr char kTeam[] = "TEAM123456";
constexpr char kKid[] = "KEY1234567";
const std::string kToken(64, 'a');

class ApnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = crypto::generate_p256();
    ASSERT_TRUE(k.ok());
    key_ = std::move(k.value());
    // The simulator only needs the public half.
    ASSERT_TRUE(apns_.add_key(kTeam, kKid, crypto::public_key_to_pem(key_.get())).ok());
  }

  std::string jwt(int64_t iat, std::string_view team = kTeam, std::string_view kid = kKid, EVP_PKEY* key = nullptr) {
    auto j = crypto::jwt_sign(key ? key : key_.get(), "ES256", crypto::apns_jwt_header(kid),
                              crypto::apns_jwt_claims(team, iat));
    EXPECT_TRUE(j.ok());
    return j.ok() ? *j : std::string();
  }

  SimRequest valid(std::string_view token = kToken) {
    return make_request("POST", "/3/device/" + std::string(token),
                        {{"authorization", "bearer " + jwt(clock_.now_s())}, {"apns-topic", "com.example.app"}},
                        R"({"aps":{"alert":"hi"}})");
  }

  // Runs the handler; returns the status and leaves the response in resp_.
  int run(const SimRequest& r, Disposition want = Disposition::kNow) {
    resp_.clear();
    EXPECT_EQ(apns_.handle(ctx_, r, resp_), want);
    return resp_.status;
  }
  std::string reason() {
    Json j(resp_.body);
    return std::string(j.str("/reason"));
  }

  // A request with this provider token, answered now.
  int with_jwt(const std::string& j) {
    return run(make_request("POST", "/3/device/" + kToken, {{"authorization", "bearer " + j}, {"apns-topic", "t"}},
                            "{}"));
  }
  void set_faults(const std::string& text) { board_.set(parse_faults(text).value()); }

  ManualClock clock_{1'800'000'000'000};
  HandlerCtx ctx_{clock_};
  Stats stats_;
  DeliveryRecords records_;
  FaultBoard board_{clock_};
  ApnsService apns_{stats_, records_, board_};
  crypto::EvpPkeyPtr key_;
  SimResponse resp_;
};

TEST(ApnsRules, Path) {
  std::string_view t;
  const std::string path = "/3/device/" + kToken;
  EXPECT_TRUE(apns_parse_path(path, t).passed());
  EXPECT_EQ(t, kToken);
  EXPECT_EQ(apns_parse_path("/3/device/", t).reason, "MissingDeviceToken");
  EXPECT_EQ(apns_parse_path("/3/device/abc", t).reason, "BadDeviceToken");
  EXPECT_EQ(apns_parse_path("/3/device/" + std::string(63, 'a') + "g", t).reason, "BadDeviceToken");
  EXPECT_EQ(apns_parse_path("/3/device/" + kToken + "00", t).reason, "BadDeviceToken");
  ApnsVerdict v = apns_parse_path("/2/device/" + kToken, t);
  EXPECT_EQ(v.status, 404);
  EXPECT_EQ(v.reason, "BadPath");
}

TEST(ApnsRules, Headers) {
  auto check = [](std::vector<std::pair<std::string, std::string>> h) {
    HeaderList l;
    for (auto& [n, v] : h) l.add(n, v);
    return std::string(apns_check_headers(l).reason);
  };
  EXPECT_EQ(check({{"apns-topic", "t"}}), "");
  EXPECT_EQ(check({}), "MissingTopic");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-push-type", "alert"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-push-type", "liveactivity"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-push-type", "loud"}}), "InvalidPushType");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-priority", "5"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-priority", "1"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-priority", "7"}}), "BadPriority");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-push-type", "background"}, {"apns-priority", "10"}}), "BadPriority");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-expiration", "0"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-expiration", "1700000000"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-expiration", "soon"}}), "BadExpirationDate");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-expiration", ""}}), "BadExpirationDate");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-collapse-id", std::string(64, 'c')}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-collapse-id", std::string(65, 'c')}}), "BadCollapseId");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-id", "123e4567-e89b-12d3-a456-426614174000"}}), "");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-id", "nope"}}), "BadMessageId");
  EXPECT_EQ(check({{"apns-topic", "t"}, {"apns-topic", "u"}}), "DuplicateHeaders");
}

TEST(ApnsRules, Payload) {
  simdjson::dom::parser p;
  auto status = [&](std::string body, std::string push_type = "") {
    auto r = make_request("POST", "/", {}, body);
    if (!push_type.empty()) r.headers.add("apns-push-type", push_type);
    ApnsVerdict v = apns_check_payload(r, p);
    return std::to_string(v.status) + std::string(v.reason);
  };
  EXPECT_EQ(status("{}"), "0");
  EXPECT_EQ(status(""), "400PayloadEmpty");
  EXPECT_EQ(status("[1,2]"), "400BadPayload");
  EXPECT_EQ(status("{\"aps\":"), "400BadPayload");
  std::string at_limit = "{\"a\":\"" + std::string(4096 - 8, 'x') + "\"}";
  ASSERT_EQ(at_limit.size(), 4096u);
  EXPECT_EQ(status(at_limit), "0");
  EXPECT_EQ(status(at_limit + " "), "413PayloadTooLarge");
  EXPECT_EQ(status(at_limit + " ", "voip"), "0");  // VoIP allows 5120
}

TEST_F(ApnsTest, DeliversAndEchoesApnsId) {
  auto r = valid();
  r.headers.add("apns-id", "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(run(r), 200);
  EXPECT_EQ(resp_.headers.get("apns-id"), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_TRUE(resp_.body.empty());
  EXPECT_EQ(records_.summary(Platform::kApns).delivered, 1u);

  EXPECT_EQ(run(valid()), 200);  // without apns-id a fresh UUID comes back
  EXPECT_TRUE(is_uuid(resp_.headers.get("apns-id")));
  auto s = records_.summary(Platform::kApns);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.distinct, 1u);
}

TEST_F(ApnsTest, VerifiesEachDistinctTokenOnce) {
  const std::string j = jwt(clock_.now_s());
  for (int i = 0; i < 5; ++i) {
    auto r = make_request("POST", "/3/device/" + kToken, {{"authorization", "bearer " + j}, {"apns-topic", "t"}}, "{}");
    EXPECT_EQ(run(r), 200);
  }
  EXPECT_EQ(load(stats_.apns.jwt_verifications), 1u);
  EXPECT_EQ(run(valid()), 200);  // a new JWT (ES256 signatures differ each time) is verified again
  EXPECT_EQ(load(stats_.apns.jwt_verifications), 2u);
  apns_.reset();  // forgets verified tokens
  auto again = make_request("POST", "/3/device/" + kToken, {{"authorization", "bearer " + j}, {"apns-topic", "t"}}, "{}");
  EXPECT_EQ(run(again), 200);
  EXPECT_EQ(load(stats_.apns.jwt_verifications), 3u);
}

TEST_F(ApnsTest, ProviderTokenProblems) {
  auto with_auth = [&](std::string authz) {
    auto r = make_request("POST", "/3/device/" + kToken, {{"apns-topic", "t"}}, "{}");
    if (!authz.empty()) r.headers.add("authorization", authz);
    int status = run(r);
    return std::to_string(status) + (status == 200 ? std::string() : reason());
  };
  const int64_t now = clock_.now_s();
  EXPECT_EQ(with_auth(""), "403MissingProviderToken");
  EXPECT_EQ(with_auth("bearer garbage"), "403InvalidProviderToken");
  EXPECT_EQ(with_auth("basic " + jwt(now)), "403InvalidProviderToken");
  EXPECT_EQ(with_auth("bearer " + jwt(now, "OTHERTEAM1")), "403InvalidProviderToken");
  EXPECT_EQ(with_auth("bearer " + jwt(now, kTeam, "UNKNOWNKEY")), "403InvalidProviderToken");
  auto other = crypto::generate_p256();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(with_auth("bearer " + jwt(now, kTeam, kKid, other->get())), "403InvalidProviderToken");
  EXPECT_EQ(with_auth("bearer " + jwt(now - 3601)), "403ExpiredProviderToken");
  EXPECT_EQ(with_auth("bearer " + jwt(now - 3600)), "200");
  EXPECT_EQ(with_auth("bearer " + jwt(now + 61)), "403InvalidProviderToken");
  EXPECT_EQ(records_.summary(Platform::kApns).delivered, 1u);
}

TEST_F(ApnsTest, CachedTokenStillExpires) {
  auto r = valid();
  EXPECT_EQ(run(r), 200);
  clock_.advance_ms(3601 * 1000);
  EXPECT_EQ(run(r), 403);
  EXPECT_EQ(reason(), "ExpiredProviderToken");
  EXPECT_EQ(load(stats_.apns.jwt_verifications), 1u);
}

TEST_F(ApnsTest, ErrorsCarryApnsIdAndReason) {
  auto r = valid();
  r.headers.add("apns-priority", "3");
  EXPECT_EQ(run(r), 400);
  EXPECT_EQ(reason(), "BadPriority");
  EXPECT_TRUE(is_uuid(resp_.headers.get("apns-id")));
  auto get = valid();
  get.method = "GET";
  EXPECT_EQ(run(get), 405);
  EXPECT_EQ(reason(), "MethodNotAllowed");
}

TEST_F(ApnsTest, ScriptedAnswers) {
  const std::string tail(60, 'b');
  EXPECT_EQ(run(valid("410b" + tail)), 410);
  Json gone(resp_.body);
  EXPECT_EQ(gone.str("/reason"), "Unregistered");
  EXPECT_EQ(gone.num("/timestamp"), clock_.now_ms());
  EXPECT_EQ(run(valid("4000" + tail)), 400);
  EXPECT_EQ(reason(), "BadDeviceToken");
  EXPECT_EQ(run(valid("4001" + tail)), 400);
  EXPECT_EQ(reason(), "DeviceTokenNotForTopic");
  EXPECT_EQ(run(valid("5000" + tail)), 500);
  EXPECT_EQ(run(valid("5000" + tail)), 500);  // always
  EXPECT_EQ(run(valid("4291" + tail)), 429);
  EXPECT_EQ(resp_.headers.get("retry-after"), "1");
  EXPECT_EQ(run(valid("4291" + tail)), 200);  // only the first time
  EXPECT_EQ(run(valid("5032" + tail)), 503);
  EXPECT_EQ(reason(), "ServiceUnavailable");
  EXPECT_EQ(run(valid("5032" + tail)), 503);
  EXPECT_EQ(run(valid("5032" + tail)), 200);
  EXPECT_EQ(run(valid("de1a" + tail), Disposition::kDelay), 200);
  EXPECT_EQ(records_.summary(Platform::kApns).delivered, 3u);
}

TEST_F(ApnsTest, ExpiredProviderScriptIgnoresTheJwt) {
  const std::string token = "e0e0" + std::string(60, 'c');
  auto r = make_request("POST", "/3/device/" + token, {{"apns-topic", "t"}}, "{}");  // no JWT at all
  EXPECT_EQ(run(r), 403);
  EXPECT_EQ(reason(), "ExpiredProviderToken");
  EXPECT_EQ(run(valid(token)), 200);
  apns_.reset();  // scripted state starts over
  EXPECT_EQ(run(valid(token)), 403);
}

TEST_F(ApnsTest, RejectCurrentJwtRejectsTheNewestAcceptedTokenOnly) {
  const std::string older = jwt(clock_.now_s() - 10);
  const std::string current = jwt(clock_.now_s());
  EXPECT_EQ(with_jwt(older), 200);
  EXPECT_EQ(with_jwt(current), 200);
  set_faults("reject_jwt=current");
  EXPECT_EQ(with_jwt(current), 403);
  EXPECT_EQ(reason(), "ExpiredProviderToken");
  EXPECT_EQ(with_jwt(current), 403);  // from now on, every time
  EXPECT_EQ(with_jwt(older), 200);    // only the one that was current
  const std::string fresh = jwt(clock_.now_s());
  EXPECT_EQ(with_jwt(fresh), 200);    // a newer token is accepted
  EXPECT_EQ(with_jwt(current), 403);
  EXPECT_EQ(load(stats_.apns.jwt_rejections), 3u);
  EXPECT_EQ(load(stats_.apns.jwts_accepted), 3u);
}

TEST_F(ApnsTest, RejectCurrentJwtBeforeAnyTokenTakesTheFirstOne) {
  set_faults("reject_jwt=current\nreject_jwt_reason=InvalidProviderToken");
  const std::string first = jwt(clock_.now_s());
  EXPECT_EQ(with_jwt(first), 403);
  EXPECT_EQ(reason(), "InvalidProviderToken");
  EXPECT_EQ(with_jwt(jwt(clock_.now_s())), 200);
  EXPECT_EQ(with_jwt(first), 403);
}

TEST_F(ApnsTest, RejectAllAndRejectBefore) {
  set_faults("reject_jwt=all");
  EXPECT_EQ(with_jwt(jwt(clock_.now_s())), 403);
  EXPECT_EQ(with_jwt(jwt(clock_.now_s())), 403);
  EXPECT_EQ(load(stats_.apns.jwts_accepted), 2u);  // each verified: they are good tokens, refused
  set_faults("reject_jwt_before=" + std::to_string(clock_.now_s()));
  EXPECT_EQ(with_jwt(jwt(clock_.now_s() - 1)), 403);
  EXPECT_EQ(reason(), "ExpiredProviderToken");
  EXPECT_EQ(with_jwt(jwt(clock_.now_s())), 200);
  set_faults("");
  EXPECT_EQ(with_jwt(jwt(clock_.now_s() - 1)), 200);
  EXPECT_EQ(load(stats_.apns.jwt_rejections), 3u);
}

TEST_F(ApnsTest, SinkAnswersEverything) {
  auto r = make_request("GET", "/3/device/xyz", {}, "");
  resp_.clear();
  apns_.handle_sink(ctx_, r, resp_);
  EXPECT_EQ(resp_.status, 200);
  EXPECT_TRUE(is_uuid(resp_.headers.get("apns-id")));
  EXPECT_EQ(records_.summary(Platform::kApns).delivered, 1u);
}

TEST(ApnsKeys, AcceptsPrivateAndPublicPemRejectsRsa) {
  Stats stats;
  DeliveryRecords records;
  ManualClock clock;
  FaultBoard board(clock);
  ApnsService apns(stats, records, board);
  auto ec = crypto::generate_p256();
  ASSERT_TRUE(ec.ok());
  EXPECT_TRUE(apns.add_key("T", "K1", crypto::private_key_to_pem(ec->get())).ok());
  EXPECT_TRUE(apns.add_key("T", "K2", crypto::public_key_to_pem(ec->get())).ok());
  auto rsa = crypto::generate_rsa(2048);
  ASSERT_TRUE(rsa.ok());
  EXPECT_FALSE(apns.add_key("T", "K3", crypto::private_key_to_pem(rsa->get())).ok());
  EXPECT_FALSE(apns.add_key("T", "K4", "not a pem").ok());
  EXPECT_EQ(apns.key_count(), 2u);
}

}  // namespace
}  // namespace pushgw::sim
