#include <gtest/gtest.h>

#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "fcm.h"
#include "gen.h"
#include "sim_test_util.h"

namespace pushgw::sim {
namespace {

using test::Json;
using test::make_request;

constexpr char kTokenUri[] = "https://oauth2.googleapis.com/token";
constexpr char kEmail[] = "sim@demo-project.iam.gserviceaccount.com";

std::string form_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      out += c;
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

TEST(FcmShapes, ErrorJsonMatchesGoogle) {
  Json j(fcm_error_json(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"));
  EXPECT_EQ(j.num("/error/code"), 404);
  EXPECT_EQ(j.str("/error/status"), "NOT_FOUND");
  EXPECT_EQ(j.str("/error/message"), "Requested entity was not found.");
  EXPECT_EQ(j.str("/error/details/0/@type"), "type.googleapis.com/google.firebase.fcm.v1.FcmError");
  EXPECT_EQ(j.str("/error/details/0/errorCode"), "UNREGISTERED");
  EXPECT_FALSE(j.has("/error/details/1"));

  Json bare(fcm_error_json(401, "UNAUTHENTICATED", "nope", {}));
  EXPECT_FALSE(bare.has("/error/details"));

  Json field(fcm_error_json(400, "INVALID_ARGUMENT", "bad \"ttl\"", "INVALID_ARGUMENT", "message.android.ttl"));
  EXPECT_EQ(field.str("/error/details/1/@type"), "type.googleapis.com/google.rpc.BadRequest");
  EXPECT_EQ(field.str("/error/details/1/fieldViolations/0/field"), "message.android.ttl");
  EXPECT_EQ(field.str("/error/message"), "bad \"ttl\"");
}

TEST(FcmShapes, FormValue) {
  std::string body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c&x=1+2";
  EXPECT_EQ(form_value(body, "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(form_value(body, "assertion"), "a.b.c");
  EXPECT_EQ(form_value(body, "x"), "1 2");
  EXPECT_EQ(form_value(body, "missing"), "");
}

class FcmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sa = make_service_account_json("demo-project", kTokenUri, kEmail);
    ASSERT_TRUE(sa.ok());
    ASSERT_TRUE(fcm_.add_service_account(*sa).ok());
    Json doc(*sa);
    auto key = crypto::load_private_key_pem(doc.str("/private_key"));
    ASSERT_TRUE(key.ok());
    key_ = std::move(key.value());
    fcm_.set_origin("https://127.0.0.1:8443");
    fcm_.set_token_ttl(600);
  }

  std::string assertion(int64_t iat, std::string_view aud = kTokenUri,
                        std::string_view scope = "https://www.googleapis.com/auth/firebase.messaging") {
    auto a = crypto::google_assertion(key_.get(), kEmail, scope, aud, iat);
    EXPECT_TRUE(a.ok());
    return a.ok() ? *a : std::string();
  }

  SimRequest token_request(const std::string& jwt) {
    return make_request("POST", "/token", {{"content-type", "application/x-www-form-urlencoded"}},
                        "grant_type=" + form_escape("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                            "&assertion=" + form_escape(jwt));
  }

  // Gets an access token the normal way.
  std::string access_token() {
    resp_.clear();
    fcm_.handle_token(ctx_, token_request(assertion(clock_.now_s())), resp_);
    EXPECT_EQ(resp_.status, 200) << resp_.body;
    Json j(resp_.body);
    EXPECT_EQ(j.num("/expires_in"), 600);
    EXPECT_EQ(j.str("/token_type"), "Bearer");
    return std::string(j.str("/access_token"));
  }

  int send(const std::string& token, std::string body, std::string project = "demo-project",
           Disposition want = Disposition::kNow) {
    resp_.clear();
    auto r = make_request("POST", "/v1/projects/" + project + "/messages:send",
                          {{"authorization", "Bearer " + token}, {"content-type", "application/json"}}, body);
    EXPECT_EQ(fcm_.handle_send(ctx_, r, resp_), want);
    return resp_.status;
  }
  std::string error_code() {
    Json j(resp_.body);
    return std::string(j.str("/error/details/0/errorCode"));
  }

  ManualClock clock_{1'800'000'000'000};
  HandlerCtx ctx_{clock_};
  Stats stats_;
  DeliveryRecords records_;
  FcmService fcm_{stats_, records_};
  crypto::EvpPkeyPtr key_;
  SimResponse resp_;
};

TEST_F(FcmTest, TokenEndpointChecksTheAssertion) {
  auto status_of = [&](const std::string& jwt) {
    resp_.clear();
    fcm_.handle_token(ctx_, token_request(jwt), resp_);
    if (resp_.status == 200) return std::string("200");
    Json j(resp_.body);
    return std::to_string(resp_.status) + std::string(j.str("/error"));
  };
  const int64_t now = clock_.now_s();
  EXPECT_EQ(status_of(assertion(now)), "200");
  EXPECT_EQ(status_of(assertion(now, "https://127.0.0.1:8443/token")), "200");  // the sim's own /token
  EXPECT_EQ(status_of(assertion(now, "https://evil.example/token")), "400invalid_grant");
  EXPECT_EQ(status_of(assertion(now, kTokenUri, "https://www.googleapis.com/auth/userinfo.email")),
            "400invalid_scope");
  EXPECT_EQ(status_of(assertion(now - 3600)), "400invalid_grant");  // exp == now: expired
  EXPECT_EQ(status_of(assertion(now + 120)), "400invalid_grant");   // issued in the future
  EXPECT_EQ(status_of("not.a.jwt"), "400invalid_grant");
  auto other = crypto::generate_rsa(2048);
  ASSERT_TRUE(other.ok());
  auto forged = crypto::google_assertion(other->get(), kEmail, "https://www.googleapis.com/auth/firebase.messaging",
                                         kTokenUri, now);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(status_of(*forged), "400invalid_grant");
  EXPECT_EQ(load(stats_.fcm.token_requests), 8u);
  EXPECT_EQ(load(stats_.fcm.tokens_issued), 2u);

  resp_.clear();
  fcm_.handle_token(ctx_, make_request("POST", "/token", {}, "grant_type=password&assertion=x"), resp_);
  EXPECT_EQ(resp_.status, 400);
  EXPECT_EQ(Json(resp_.body).str("/error"), "unsupported_grant_type");
}

TEST_F(FcmTest, SendNeedsALiveTokenForTheProject) {
  const std::string tok = access_token();
  EXPECT_EQ(send(tok, R"({"message":{"token":"abc"}})"), 200);
  EXPECT_EQ(Json(resp_.body).str("/name").substr(0, 30), "projects/demo-project/messages");
  EXPECT_EQ(send("ya29.bogus", R"({"message":{"token":"abc"}})"), 401);
  Json j(resp_.body);
  EXPECT_EQ(j.str("/error/status"), "UNAUTHENTICATED");
  EXPECT_EQ(send(tok, R"({"message":{"token":"abc"}})", "other-project"), 401);
  clock_.advance_ms(600 * 1000);  // --token-ttl passed
  EXPECT_EQ(send(tok, R"({"message":{"token":"abc"}})"), 401);
  const std::string tok2 = access_token();
  EXPECT_EQ(send(tok2, R"({"message":{"token":"abc"}})"), 200);
  fcm_.expire_tokens();
  EXPECT_EQ(send(tok2, R"({"message":{"token":"abc"}})"), 401);
}

TEST_F(FcmTest, ValidatesTheMessage) {
  const std::string tok = access_token();
  EXPECT_EQ(send(tok, R"({"message":{"topic":"news"}})"), 200);
  EXPECT_EQ(send(tok, R"({"message":{"condition":"'a' in topics"}})"), 200);
  EXPECT_EQ(send(tok, R"({"message":{"token":"a","topic":"news"}})"), 400);
  EXPECT_EQ(Json(resp_.body).str("/error/status"), "INVALID_ARGUMENT");
  EXPECT_EQ(send(tok, R"({"message":{"notification":{"title":"x"}}})"), 400);
  EXPECT_EQ(send(tok, R"({"msg":{}})"), 400);
  EXPECT_EQ(send(tok, "not json"), 400);
  EXPECT_EQ(send(tok, R"({"message":{"token":"a","data":{"k":1}}})"), 400);
  EXPECT_EQ(Json(resp_.body).str("/error/details/1/fieldViolations/0/field"), "message.data[0].value");
  std::string big = R"({"message":{"token":"a","data":{"k":")" + std::string(4100, 'x') + "\"}}}";
  EXPECT_EQ(send(tok, big), 400);
  EXPECT_EQ(Json(resp_.body).str("/error/message"), "Message is too big");
  EXPECT_EQ(send(tok, R"({"validate_only":true,"message":{"token":"dry"}})"), 200);
  auto s = records_.summary(Platform::kFcm);
  EXPECT_EQ(s.delivered, 2u);  // the topic and the condition; validate_only delivers nothing
  EXPECT_EQ(records_.to_json(Platform::kFcm).find("/topics/news") != std::string::npos, true);
}

TEST_F(FcmTest, ScriptedTokens) {
  const std::string tok = access_token();
  auto to = [&](std::string t) { return R"({"message":{"token":")" + t + "\"}}"; };
  EXPECT_EQ(send(tok, to("unregistered-1")), 404);
  EXPECT_EQ(error_code(), "UNREGISTERED");
  EXPECT_EQ(send(tok, to("invalid-1")), 400);
  EXPECT_EQ(Json(resp_.body).str("/error/message"), "The registration token is not a valid FCM registration token");
  EXPECT_EQ(send(tok, to("badpayload-1")), 400);
  {
    Json j(resp_.body);
    EXPECT_NE(j.str("/error/message"), "The registration token is not a valid FCM registration token");
    EXPECT_EQ(j.str("/error/details/1/fieldViolations/0/field").substr(0, 8), "message.");
  }
  EXPECT_EQ(send(tok, to("mismatch-1")), 403);
  EXPECT_EQ(error_code(), "SENDER_ID_MISMATCH");
  EXPECT_EQ(Json(resp_.body).str("/error/status"), "PERMISSION_DENIED");
  EXPECT_EQ(send(tok, to("quota-1")), 429);
  EXPECT_EQ(error_code(), "QUOTA_EXCEEDED");
  EXPECT_EQ(resp_.headers.get("retry-after"), "1");
  EXPECT_EQ(send(tok, to("quota-1")), 200);
  EXPECT_EQ(send(tok, to("unavailable-1")), 503);
  EXPECT_EQ(send(tok, to("unavailable-1")), 200);
  EXPECT_EQ(send(tok, to("internal-1")), 500);
  EXPECT_EQ(error_code(), "INTERNAL");
  EXPECT_EQ(send(tok, to("internal-1")), 200);
  EXPECT_EQ(send(tok, to("thirdparty-1")), 401);
  EXPECT_EQ(error_code(), "THIRD_PARTY_AUTH_ERROR");
  EXPECT_EQ(send(tok, to("thirdparty-1")), 401);
  EXPECT_EQ(send(tok, to("slow-1"), "demo-project", Disposition::kDelay), 200);
  EXPECT_EQ(records_.summary(Platform::kFcm).delivered, 4u);
}

TEST_F(FcmTest, SinkSkipsChecks) {
  resp_.clear();
  fcm_.handle_sink_send(ctx_, make_request("POST", "/v1/projects/p/messages:send", {}, R"({"message":{"token":"t1"}})"),
                        resp_);
  EXPECT_EQ(resp_.status, 200);
  EXPECT_EQ(records_.to_json(Platform::kFcm), R"({"t1":1})");
  resp_.clear();
  fcm_.handle_sink_token(ctx_, make_request("POST", "/token", {}, ""), resp_);
  EXPECT_EQ(resp_.status, 200);
  EXPECT_FALSE(Json(resp_.body).str("/access_token").empty());
}

}  // namespace
}  // namespace pushgw::sim
