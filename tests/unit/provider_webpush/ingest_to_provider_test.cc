// The seam between ingest and the FCM/Web Push providers: a real "send"
// request goes through ingest::parse_send and the Batch it produces is built
// by the providers. Catches any drift in where ingest stores targets, keys
// and options.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "base/base64url.h"
#include "crypto/ece.h"
#include "crypto/keys.h"
#include "ingest/send.h"
#include "provider/fcm/fcm_provider.h"
#include "provider/webpush/webpush_provider.h"

namespace pushgw::provider {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class Apps final : public ingest::AppDirectory {
 public:
  Apps() {
    fcm_.app_id = 1;
    fcm_.platform = Platform::Fcm;
    fcm_.name = "shop-android";
    web_.app_id = 2;
    web_.platform = Platform::WebPush;
    web_.name = "shop-web";
    web_.allow_private_endpoints = true;
    web_.endpoint_ports = {8443};  // the test endpoints port
  }
  const ingest::AppInfo* find(Platform p, std::string_view app) const override {
    if (p == Platform::Fcm && app == fcm_.name) return &fcm_;
    if (p == Platform::WebPush && app == web_.name) return &web_;
    return nullptr;
  }

 private:
  ingest::AppInfo fcm_, web_;
};

ingest::SendRequest parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS);
  Apps apps;
  auto r = ingest::parse_send(root, apps, kNow);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : ingest::SendRequest{};
}

TEST(IngestToProvider, FcmTokensTopicAndCondition) {
  simdjson::dom::parser parser;
  auto req = parse(parser, R"({"op":"send","notifications":[
    {"platform":"fcm","app":"shop-android","tokens":["tok-1",{"token":"tok-2","vars":{"name":"Aiko"}}],
     "message":{"notification":{"title":"Hi {{name}}","body":"20% off"},"data":{"sku":"123"}}},
    {"platform":"fcm","app":"shop-android","topic":"news","message":{"data":{"k":"v"}}},
    {"platform":"fcm","app":"shop-android","condition":"'a' in topics","message":{}}]})");
  ASSERT_EQ(req.rejected.size(), 0u);
  ASSERT_EQ(req.batches.size(), 3u);
  auto tokens = std::make_shared<FcmTokenSource>();
  tokens->set("at", kNow + 3'600'000, kNow);
  FcmProvider p(FcmSettings{"fcm.googleapis.com:443", "proj", tokens});
  p.begin_drain(kNow);
  HttpRequest r;
  ASSERT_TRUE(p.build(*req.batches[0], 0, kNow, r).ok());
  EXPECT_EQ(r.body, R"({"message":{"token":"tok-1","notification":{"title":"Hi ","body":"20% off"},)"
                    R"("data":{"sku":"123"}}})");
  r.clear();
  ASSERT_TRUE(p.build(*req.batches[0], 1, kNow, r).ok());
  EXPECT_EQ(r.body, R"({"message":{"token":"tok-2","notification":{"title":"Hi Aiko","body":"20% off"},)"
                    R"("data":{"sku":"123"}}})");
  r.clear();
  ASSERT_TRUE(p.build(*req.batches[1], 0, kNow, r).ok());
  EXPECT_EQ(r.body, R"({"message":{"topic":"news","data":{"k":"v"}}})");
  r.clear();
  ASSERT_TRUE(p.build(*req.batches[2], 0, kNow, r).ok());
  EXPECT_EQ(r.body, R"({"message":{"condition":"'a' in topics"}})");
}

TEST(IngestToProvider, WebPushSubscriptionDecrypts) {
  auto ua = crypto::generate_p256();
  ASSERT_TRUE(ua.ok());
  const std::string p256dh = crypto::p256_public_uncompressed(ua->get()).value();
  const std::string auth = crypto::random_bytes(16).value();
  simdjson::dom::parser parser;
  auto req = parse(parser, R"({"op":"send","notifications":[{"platform":"webpush","app":"shop-web",
    "subscriptions":[{"endpoint":"https://127.0.0.1:8443/wp/abc","keys":{"p256dh":")" +
                               base::base64url_encode(p256dh) + R"(","auth":")" + base::base64url_encode(auth) +
                               R"("},"vars":{"name":"Aiko"}}],
    "ttl":60,"urgency":"low","topic":"sale","payload":{"title":"Hi {{name}}"}}]})");
  ASSERT_EQ(req.rejected.size(), 0u) << req.rejected[0].message;
  ASSERT_EQ(req.batches.size(), 1u);
  auto vapid = crypto::generate_p256();
  ASSERT_TRUE(vapid.ok());
  auto p = WebPushProvider::create({crypto::private_key_to_pem(vapid->get()), "mailto:ops@example.com"});
  ASSERT_TRUE(p.ok());
  HttpRequest r;
  ASSERT_TRUE((*p)->build(*req.batches[0], 0, kNow, r).ok());
  EXPECT_EQ((*p)->origin(*req.batches[0], 0), "127.0.0.1:8443");
  EXPECT_EQ(r.path, "/wp/abc");
  EXPECT_EQ(r.header("ttl"), "60");
  EXPECT_EQ(r.header("urgency"), "low");
  EXPECT_EQ(r.header("topic"), "sale");
  auto pt = crypto::webpush_decrypt(r.body, ua->get(), auth);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(*pt, R"({"title":"Hi Aiko"})");
}

}  // namespace
}  // namespace pushgw::provider
