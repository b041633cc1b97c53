#include <gtest/gtest.h>

#include "base/base64url.h"
#include "crypto/ece.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "crypto/vapid.h"
#include "gen.h"
#include "sim_test_util.h"
#include "webpush.h"

namespace pushgw::sim {
namespace {

using test::Json;
using test::make_request;

constexpr char kOrigin[] = "https://127.0.0.1:8443";

TEST(WebPushRules, TopicUrgencyAndVapidHeader) {
  EXPECT_TRUE(valid_topic("sale"));
  EXPECT_TRUE(valid_topic(std::string(32, 'A')));
  EXPECT_FALSE(valid_topic(std::string(33, 'A')));
  EXPECT_FALSE(valid_topic("a+b"));
  EXPECT_FALSE(valid_topic("a b"));
  EXPECT_FALSE(valid_topic(""));
  for (const char* u : {"very-low", "low", "normal", "high"}) EXPECT_TRUE(valid_urgency(u)) << u;
  EXPECT_FALSE(valid_urgency("urgent"));
  std::string_view t, k;
  ASSERT_TRUE(parse_vapid_header("vapid t=aaa.bbb.ccc, k=BPUB", t, k));
  EXPECT_EQ(t, "aaa.bbb.ccc");
  EXPECT_EQ(k, "BPUB");
  ASSERT_TRUE(parse_vapid_header("Vapid k=BPUB,t=x.y.z", t, k));
  EXPECT_EQ(t, "x.y.z");
  EXPECT_FALSE(parse_vapid_header("vapid t=x.y.z", t, k));
  EXPECT_FALSE(parse_vapid_header("WebPush x.y.z", t, k));
}

class WebPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto doc = make_subscriptions_json(2, std::string(kOrigin) + "/wp/", "sub-");
    ASSERT_TRUE(doc.ok());
    subs_json_ = *doc;
    auto slow = make_subscriptions_json(1, std::string(kOrigin) + "/wp/", "slow-");
    ASSERT_TRUE(slow.ok());
    // Merge the two arrays.
    std::string merged = subs_json_.substr(0, subs_json_.rfind(']')) + "," + slow->substr(slow->find('[') + 1);
    auto n = wp_.load_subscriptions(merged);
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_EQ(*n, 3u);
    subs_json_ = merged;
    wp_.set_origin(kOrigin);
    auto vkey = crypto::generate_p256();
    ASSERT_TRUE(vkey.ok());
    auto signer = crypto::VapidSigner::create(crypto::private_key_to_pem(vkey->get()), "mailto:ops@example.com");
    ASSERT_TRUE(signer.ok());
    vapid_key_ = std::move(vkey.value());
    authz_ = signer->authorization(kOrigin, clock_.now_ms());
    ASSERT_FALSE(authz_.empty());
  }

  // Encrypts for subscription i of the loaded document.
  std::string encrypt_for(size_t i, std::string_view plaintext) {
    Json j(subs_json_);
    std::string base = "/" + std::to_string(i);
    auto pub = base::base64url_decode(j.str(base + "/keys/p256dh"));
    auto auth = base::base64url_decode(j.str(base + "/keys/auth"));
    EXPECT_TRUE(pub && auth);
    auto key = crypto::p256_from_public_uncompressed(*pub);
    EXPECT_TRUE(key.ok());
    std::string body;
    EXPECT_TRUE(crypto::webpush_encrypt(plaintext, key->get(), *pub, *auth, body).ok());
    return body;
  }

  int post(std::string id, std::string body, std::vector<std::pair<std::string, std::string>> extra = {},
           bool with_auth = true, Disposition want = Disposition::kNow) {
    std::vector<std::pair<std::string, std::string>> h = {{"ttl", "60"}, {"content-encoding", "aes128gcm"}};
    if (with_auth) h.emplace_back("authorization", authz_);
    for (auto& e : extra) {
      bool replaced = false;
      for (auto& x : h)
        if (x.first == e.first) x.second = e.second, replaced = true;
      if (!replaced) h.push_back(e);
    }
    resp_.clear();
    EXPECT_EQ(wp_.handle(ctx_, make_request("POST", "/wp/" + id, h, body), resp_), want);
    return resp_.status;
  }

  std::string jwt_authz(std::string claims) {
    auto t = crypto::jwt_sign(vapid_key_.get(), "ES256", R"({"typ":"JWT","alg":"ES256"})", claims);
    EXPECT_TRUE(t.ok());
    auto pub = crypto::p256_public_uncompressed(vapid_key_.get());
    return "vapid t=" + *t + ", k=" + base::base64url_encode(*pub);
  }

  ManualClock clock_{1'800'000'000'000};
  HandlerCtx ctx_{clock_};
  Stats stats_;
  DeliveryRecords records_;
  WebPushService wp_{stats_, records_};
  std::string subs_json_, authz_;
  crypto::EvpPkeyPtr vapid_key_;
  SimResponse resp_;
};

TEST_F(WebPushTest, DecryptsAndRecords) {
  EXPECT_EQ(post("sub-1", encrypt_for(1, "When I grow up, I want to be a watermelon"),
                 {{"urgency", "high"}, {"topic", "sale"}}),
            201);
  EXPECT_EQ(resp_.headers.get("location").substr(0, 27), "https://127.0.0.1:8443/msg/");
  EXPECT_EQ(post("sub-0", encrypt_for(0, "second")), 201);
  Json m(wp_.messages_json());
  EXPECT_EQ(m.str("/0/endpoint"), "https://127.0.0.1:8443/wp/sub-1");
  EXPECT_EQ(m.str("/0/plaintext"), "When I grow up, I want to be a watermelon");
  EXPECT_EQ(m.num("/0/ttl"), 60);
  EXPECT_EQ(m.str("/0/urgency"), "high");
  EXPECT_EQ(m.str("/0/topic"), "sale");
  EXPECT_EQ(m.str("/1/plaintext"), "second");
  EXPECT_EQ(m.str("/1/urgency"), "normal");
  EXPECT_TRUE(m.root.at_pointer("/1/topic").is_null());
  EXPECT_EQ(load(stats_.webpush.vapid_verifications), 1u);  // one VAPID token, verified once
  wp_.reset();
  EXPECT_EQ(wp_.messages_json(), "[]");
}

TEST_F(WebPushTest, RejectsLikeAPushService) {
  const std::string body = encrypt_for(0, "x");
  EXPECT_EQ(post("sub-0", body, {}, false), 401);
  EXPECT_EQ(post("sub-0", body, {{"authorization", "vapid t=a.b.c, k=xyz"}}), 403);
  EXPECT_EQ(post("sub-0", body, {{"ttl", ""}}), 400);
  EXPECT_EQ(post("sub-0", body, {{"ttl", "-5"}}), 400);
  EXPECT_EQ(post("sub-0", body, {{"content-encoding", "aesgcm"}}), 415);
  EXPECT_EQ(post("sub-0", std::string(4097, 'x')), 413);
  EXPECT_EQ(post("sub-0", body, {{"topic", "not/url+safe"}}), 400);
  EXPECT_EQ(post("sub-0", body, {{"urgency", "asap"}}), 400);
  EXPECT_EQ(post("sub-1", body), 400);  // encrypted for sub-0: does not decrypt
  EXPECT_EQ(load(stats_.webpush.decrypt_failures), 1u);
  EXPECT_EQ(post("unknown-id", body), 404);
  EXPECT_EQ(records_.summary(Platform::kWebPush).delivered, 0u);
}

TEST_F(WebPushTest, VapidClaims) {
  const int64_t now = clock_.now_s();
  auto claims = [&](std::string aud, int64_t exp, std::string sub) {
    return R"({"aud":")" + aud + R"(","exp":)" + std::to_string(exp) + R"(,"sub":")" + sub + "\"}";
  };
  const std::string body = encrypt_for(0, "x");
  EXPECT_EQ(post("sub-0", body, {{"authorization", jwt_authz(claims(kOrigin, now + 3600, "mailto:a@b"))}}), 201);
  EXPECT_EQ(post("sub-0", body, {{"authorization", jwt_authz(claims(kOrigin, now + 3600, "https://a.example"))}}), 201);
  EXPECT_EQ(post("sub-0", body, {{"authorization", jwt_authz(claims("https://other:1", now + 3600, "mailto:a@b"))}}), 403);
  EXPECT_EQ(post("sub-0", body, {{"authorization", jwt_authz(claims(kOrigin, now - 1, "mailto:a@b"))}}), 403);
  EXPECT_EQ(post("sub-0", body, {{"authorization", jwt_authz(claims(kOrigin, now + 25 * 3600, "mailto:a@b"))}}), 403);
  EXPECT_EQ(post("sub-0", body, {{"authorization", jwt_authz(claims(kOrigin, now + 3600, "a@b"))}}), 403);
  // A key that did not sign the token.
  auto other = crypto::generate_p256();
  auto other_pub = crypto::p256_public_uncompressed(other->get());
  std::string authz = jwt_authz(claims(kOrigin, now + 3600, "mailto:a@b"));
  authz = authz.substr(0, authz.find(", k=")) + ", k=" + base::base64url_encode(*other_pub);
  EXPECT_EQ(post("sub-0", body, {{"authorization", authz}}), 403);
}

TEST_F(WebPushTest, CachedVapidTokenExpires) {
  const std::string body = encrypt_for(0, "x");
  EXPECT_EQ(post("sub-0", body), 201);
  clock_.advance_ms(13 * 3600 * 1000);  // the signer's 12 h token is now stale
  EXPECT_EQ(post("sub-0", body), 403);
}

TEST_F(WebPushTest, ScriptedIds) {
  const std::string body = encrypt_for(0, "x");
  EXPECT_EQ(post("gone-1", body), 410);
  EXPECT_EQ(post("notfound-1", body), 404);
  EXPECT_EQ(post("toolarge-1", body), 413);
  EXPECT_EQ(post("ratelimit-1", body), 429);
  EXPECT_EQ(resp_.headers.get("retry-after"), "1");
  EXPECT_EQ(post("ratelimit-1", body), 404);  // then normal: not a known subscription
  EXPECT_EQ(post("unavail-1", body), 503);
  EXPECT_EQ(post("slow-0", encrypt_for(2, "slowly"), {}, true, Disposition::kDelay), 201);
  Json m(wp_.messages_json());
  EXPECT_EQ(m.str("/0/plaintext"), "slowly");
}

TEST_F(WebPushTest, EmptyBodyNeedsNoEncoding) {
  EXPECT_EQ(post("sub-0", "", {{"content-encoding", ""}}), 201);
  Json m(wp_.messages_json());
  EXPECT_EQ(m.str("/0/plaintext"), "");
}

TEST(WebPushLoad, RejectsBadDocuments) {
  Stats stats;
  DeliveryRecords records;
  WebPushService wp(stats, records);
  EXPECT_FALSE(wp.load_subscriptions("{}").ok());
  EXPECT_FALSE(wp.load_subscriptions(R"([{"endpoint":"https://h/x/1","keys":{"auth":"AAAAAAAAAAAAAAAAAAAAAA"},"private_key":"k"}])").ok());
  EXPECT_FALSE(wp.load_subscriptions(R"([{"endpoint":"https://h/wp/1","keys":{"auth":"AAAA"},"private_key":"k"}])").ok());
  auto ok = wp.load_subscriptions(R"([{"endpoint":"https://h/wp/1","keys":{"auth":"AAAAAAAAAAAAAAAAAAAAAA"},"private_key":"k"}])");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 1u);
}

}  // namespace
}  // namespace pushgw::sim
