#include <gtest/gtest.h>

#include "crypto/apns_token.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "provider/apns/apns_provider.h"

namespace pushgw::provider {
namespace {

std::unique_ptr<Batch> make_batch(std::string_view payload) {
  auto b = std::make_unique<Batch>();
  b->platform = Platform::Apns;
  auto t = Template::compile(payload, Template::Mode::Json, b->vars_table);
  EXPECT_TRUE(t.ok());
  b->tmpl = std::move(t.value());
  std::string tok(64, 'a');
  b->arena = tok;
  Recipient r;
  r.token_off = 0;
  r.token_len = 64;
  b->recipients.push_back(r);
  return b;
}

TEST(ApnsBuild, HeadersOnlyForGivenFieldsAndAValidJwt) {
  auto key = crypto::generate_p256();
  ASSERT_TRUE(key.ok());
  std::string pub = crypto::public_key_to_pem(key.value().get());
  auto src = std::make_shared<crypto::ApnsTokenSource>(std::move(key.value()), "TEAM123456", "KEY1234567");
  ApnsProvider p(ApnsSettings{"127.0.0.1:8443", "com.example.default", src});
  auto b = make_batch(R"({"aps":{"alert":"hi"}})");
  b->apns.push_type = "alert";
  p.begin_drain(1'700'000'000'000);
  HttpRequest req;
  ASSERT_TRUE(p.build(*b, 0, 0, req).ok());
  EXPECT_EQ(req.path, "/3/device/" + std::string(64, 'a'));
  EXPECT_EQ(req.authority, "127.0.0.1:8443");
  EXPECT_EQ(req.header("apns-topic"), "com.example.default");
  EXPECT_EQ(req.header("apns-push-type"), "alert");
  EXPECT_EQ(req.header("apns-expiration"), "");  // absent field -> no header
  EXPECT_EQ(req.header("apns-priority"), "");
  EXPECT_EQ(req.body, R"({"aps":{"alert":"hi"}})");
  std::string_view auth = req.header("authorization");
  ASSERT_EQ(auth.substr(0, 7), "bearer ");
  auto pubkey = crypto::load_public_key_pem(pub);
  ASSERT_TRUE(pubkey.ok());
  EXPECT_TRUE(crypto::jwt_verify(auth.substr(7), pubkey.value().get()));

  b->apns.priority = 5;
  b->apns.expiration = 0;
  b->apns.collapse_id = "sale";
  b->apns.topic = "com.example.other";
  req.clear();
  ASSERT_TRUE(p.build(*b, 0, 0, req).ok());
  EXPECT_EQ(req.header("apns-priority"), "5");
  EXPECT_EQ(req.header("apns-expiration"), "0");
  EXPECT_EQ(req.header("apns-collapse-id"), "sale");
  EXPECT_EQ(req.header("apns-topic"), "com.example.other");
  // One signature for many builds: the token is shared, not per request.
  EXPECT_EQ(src->signatures(), 1u);
}

// A batch's requests share one block of header fields (authorization,
// topic, options, content-type); a batch with other options gets its own
// block, and with every block held by requests of other batches a request
// carries its fields itself. Each request reads the fields it was built with.
TEST(ApnsBuild, RequestsOfABatchShareTheirHeaders) {
  auto key = crypto::generate_p256();
  ASSERT_TRUE(key.ok());
  auto src = std::make_shared<crypto::ApnsTokenSource>(std::move(key.value()), "TEAM123456", "KEY1234567");
  ApnsProvider p(ApnsSettings{"127.0.0.1:8443", "com.example.default", src});
  p.begin_drain(1'700'000'000'000);
  std::vector<std::unique_ptr<Batch>> batches;
  for (int i = 0; i < 6; ++i) {
    batches.push_back(make_batch(R"({"aps":{"alert":"hi"}})"));
    batches.back()->apns.topic = "com.example.t" + std::to_string(i);
    batches.back()->apns.priority = i;
  }
  batches[5]->apns = batches[0]->apns;  // the same options as batch 0
  std::vector<HttpRequest> held(6);
  for (size_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(p.build(*batches[i], 0, 0, held[i]).ok());
    EXPECT_EQ(held[i].header("apns-topic"), batches[i]->apns.topic) << i;
    EXPECT_EQ(held[i].header("apns-priority"), std::to_string(batches[i]->apns.priority)) << i;
    EXPECT_EQ(held[i].header("content-type"), "application/json");
    EXPECT_EQ(held[i].header("authorization").substr(0, 7), "bearer ");
  }
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(held[i].shared) << i;
  EXPECT_FALSE(held[4].shared);  // batches 0-3 hold every block
  EXPECT_EQ(held[4].nheaders, 4u);  // authorization, apns-topic, apns-priority, content-type
  EXPECT_EQ(held[5].shared, held[0].shared);  // same options: the same block
  EXPECT_EQ(held[0].header("apns-topic"), "com.example.t0");  // still what it was built with
  held[1].clear();  // batch 1's request answered: its block is refilled for batch 4
  HttpRequest next;
  ASSERT_TRUE(p.build(*batches[4], 0, 0, next).ok());
  ASSERT_TRUE(next.shared);
  EXPECT_EQ(next.header("apns-topic"), "com.example.t4");
  EXPECT_EQ(held[2].header("apns-topic"), "com.example.t2");
}

// classify_into (the sender's path, into a kept Verdict) answers exactly as
// classify, whatever the kept Verdict held before (a 410's timestamp, a
// 403's flags do not leak into the next 200).
TEST(ApnsClassifyInto, AnswersAsClassifyWhateverTheKeptVerdictHeld) {
  auto key = crypto::generate_p256();
  ASSERT_TRUE(key.ok());
  auto src = std::make_shared<crypto::ApnsTokenSource>(std::move(key.value()), "TEAM123456", "KEY1234567");
  ApnsProvider p(ApnsSettings{"127.0.0.1:8443", "com.example.default", src});
  auto response = [](int status, std::string body, std::string id) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.add_header("apns-id", id);
    if (status == 429) r.add_header("retry-after", "7");
    return r;
  };
  const std::vector<HttpResponse> answers = {
      response(410, R"({"reason":"Unregistered","timestamp":1700000000000})", "11111111-0000-0000-0000-000000000000"),
      response(200, "", "22222222-0000-0000-0000-000000000000"),
      response(403, R"({"reason":"ExpiredProviderToken"})", "33333333-0000-0000-0000-000000000000"),
      response(200, "", "44444444-0000-0000-0000-000000000000"),
      response(429, R"({"reason":"TooManyRequests"})", ""),
      response(200, "", ""),
  };
  Verdict kept;
  for (const HttpResponse& r : answers) {
    const Verdict want = p.classify(r, 1'700'000'000'000);
    p.classify_into(r, 1'700'000'000'000, kept);
    EXPECT_EQ(kept.kind, want.kind) << r.status;
    EXPECT_EQ(kept.http_status, want.http_status);
    EXPECT_EQ(kept.reason, want.reason);
    EXPECT_EQ(kept.id, want.id);
    EXPECT_EQ(kept.retry_after_ms, want.retry_after_ms);
    EXPECT_EQ(kept.min_retry_ms, want.min_retry_ms);
    EXPECT_EQ(kept.since_ms, want.since_ms);
    EXPECT_EQ(kept.refresh_credential, want.refresh_credential);
    EXPECT_EQ(kept.close_connection, want.close_connection);
  }
}

}  // namespace
}  // namespace pushgw::provider
