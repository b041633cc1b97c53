// The Web Push outcome table (RFC 8030 statuses as push services send them).
#include <gtest/gtest.h>

#include "provider/webpush/webpush_provider.h"

namespace pushgw::provider {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Verdict c(int status, std::string_view body = "", std::string_view retry_after = "") {
  return classify_webpush(status, body, "", retry_after, kNow);
}

TEST(WebPushClassify, AcceptedWithLocation) {
  for (int s : {200, 201, 202}) {
    Verdict v = classify_webpush(s, "", "https://push.example.net/m/123", "", kNow);
    EXPECT_EQ(v.kind, VerdictKind::Delivered) << s;
    EXPECT_EQ(v.id, "https://push.example.net/m/123");
    EXPECT_EQ(v.http_status, s);
  }
}

TEST(WebPushClassify, GoneOrNotFoundIsUnsubscribed) {
  // Mozilla autopush body for an expired subscription.
  constexpr std::string_view kAutopush410 =
      R"({"code": 410, "errno": 106, "error": "Gone", "message": "Request did not validate No such subscription",)"
      R"( "more_info": "http://autopush.readthedocs.io/en/latest/http.html#error-codes"})";
  Verdict g = c(410, kAutopush410);
  EXPECT_EQ(g.kind, VerdictKind::Unsubscribed);
  EXPECT_EQ(g.reason, "gone");
  Verdict n = c(404, "Not Found");
  EXPECT_EQ(n.kind, VerdictKind::Unsubscribed);
  EXPECT_EQ(n.reason, "not_found");
}

TEST(WebPushClassify, PayloadTooLarge) {
  Verdict v = c(413, "Payload Too Large");
  EXPECT_EQ(v.kind, VerdictKind::Failed);
  EXPECT_EQ(v.reason, "payload_too_large");
}

TEST(WebPushClassify, TooManyRequestsRetriesWithRetryAfter) {
  Verdict v = c(429, "", "30");
  EXPECT_EQ(v.kind, VerdictKind::Retry);
  EXPECT_EQ(v.retry_after_ms, 30'000);
  EXPECT_EQ(c(429).retry_after_ms, -1);
  EXPECT_EQ(c(429, "", "88888444488884444").retry_after_ms, 366LL * 24 * 3600 * 1000);  // capped at a year, no overflow
}

TEST(WebPushClassify, BadRequestKeepsTheBodyText) {
  Verdict v = c(400, "Missing TTL header\n");
  EXPECT_EQ(v.kind, VerdictKind::Failed);
  EXPECT_EQ(v.reason, "Missing TTL header");
  EXPECT_EQ(c(400).reason, "bad_request");
  EXPECT_EQ(c(400, " \r\n\t").reason, "bad_request");
  std::string long_body(1000, 'x');
  EXPECT_EQ(c(400, long_body).reason, std::string(200, 'x'));
  // Untrusted bytes are made safe for JSON output and logs.
  EXPECT_EQ(c(400, "bad\r\nX-Injected: 1 \xc3\xa9").reason, "bad X-Injected: 1 ??");
}

TEST(WebPushClassify, VapidRejected) {
  for (int s : {401, 403}) {
    Verdict v = c(s, "UnauthorizedRegistration");
    EXPECT_EQ(v.kind, VerdictKind::Failed) << s;
    EXPECT_EQ(v.reason, "vapid_rejected");
    EXPECT_FALSE(v.refresh_credential);
  }
}

TEST(WebPushClassify, ServerErrorsRetry) {
  for (int s : {500, 502, 503, 504, 599}) {
    Verdict v = c(s, "<html>oops</html>", "Tue, 14 Nov 2023 22:14:20 GMT");
    EXPECT_EQ(v.kind, VerdictKind::Retry) << s;
    EXPECT_EQ(v.retry_after_ms, 60'000);
  }
  EXPECT_EQ(c(503).reason, "http_503");
}

TEST(WebPushClassify, OtherStatusesFail) {
  for (int s : {0, 100, 301, 405, 418, 600}) {
    Verdict v = c(s);
    EXPECT_EQ(v.kind, VerdictKind::Failed) << s;
    EXPECT_EQ(v.reason, "http_" + std::to_string(s));
  }
  // RFC 8030 defines only 201 for success; a 204 is not an acceptance we know.
  EXPECT_EQ(c(204).kind, VerdictKind::Failed);
}

TEST(WebPushClassify, ProviderReadsLocationAndRetryAfter) {
  auto key = crypto::generate_p256();
  ASSERT_TRUE(key.ok());
  auto p = WebPushProvider::create({crypto::private_key_to_pem(key->get()), "https://example.com/contact"});
  ASSERT_TRUE(p.ok());
  HttpResponse r;
  r.status = 201;
  r.add_header("location", "https://push.example.net/m/1");
  EXPECT_EQ((*p)->classify(r, kNow).id, "https://push.example.net/m/1");
  r.clear();
  r.status = 429;
  r.add_header("retry-after", "2");
  EXPECT_EQ((*p)->classify(r, kNow).retry_after_ms, 2'000);
}

}  // namespace
}  // namespace pushgw::provider
