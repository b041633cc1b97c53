// Every status/reason of Apple's table (anchors.md §4) lands on the
// contract's outcome mapping.
#include <gtest/gtest.h>

#include "provider/apns/apns_provider.h"

namespace pushgw::provider {
namespace {

Verdict c(int status, std::string_view reason, std::string_view retry_after = "") {
  std::string body = reason.empty() ? "" : "{\"reason\":\"" + std::string(reason) + "\"}";
  return classify_apns(status, body, "id-1", retry_after, 0);
}

TEST(ApnsClassify, Delivered) {
  Verdict v = classify_apns(200, "", "0a1b2c3d-0000-0000-0000-000000000000", "", 0);
  EXPECT_EQ(v.kind, VerdictKind::Delivered);
  EXPECT_EQ(v.id, "0a1b2c3d-0000-0000-0000-000000000000");
}

TEST(ApnsClassify, InvalidTokens) {
  EXPECT_EQ(c(400, "BadDeviceToken").kind, VerdictKind::Invalid);
  EXPECT_EQ(c(400, "DeviceTokenNotForTopic").kind, VerdictKind::Invalid);
}

TEST(ApnsClassify, UnsubscribedWithTimestamp) {
  Verdict v = classify_apns(410, R"({"reason":"Unregistered","timestamp":1700000000123})", "", "", 0);
  EXPECT_EQ(v.kind, VerdictKind::Unsubscribed);
  EXPECT_EQ(v.reason, "Unregistered");
  EXPECT_EQ(v.since_ms, 1700000000123);
  EXPECT_EQ(c(410, "ExpiredToken").kind, VerdictKind::Unsubscribed);
}

TEST(ApnsClassify, OtherBadRequestsFailAndKeepReason) {
  for (const char* r : {"BadCollapseId", "BadExpirationDate", "BadMessageId", "BadPriority", "BadTopic",
                        "DuplicateHeaders", "InvalidPushType", "MissingDeviceToken", "MissingTopic",
                        "PayloadEmpty", "TopicDisallowed"}) {
    Verdict v = c(400, r);
    EXPECT_EQ(v.kind, VerdictKind::Failed) << r;
    EXPECT_EQ(v.reason, r);
  }
  EXPECT_EQ(c(403, "BadCertificate").kind, VerdictKind::Failed);
  EXPECT_EQ(c(403, "BadCertificateEnvironment").kind, VerdictKind::Failed);
  EXPECT_EQ(c(403, "Forbidden").kind, VerdictKind::Failed);
  EXPECT_EQ(c(403, "MissingProviderToken").kind, VerdictKind::Failed);
  EXPECT_EQ(c(404, "BadPath").kind, VerdictKind::Failed);
  EXPECT_EQ(c(405, "MethodNotAllowed").kind, VerdictKind::Failed);
  EXPECT_EQ(c(413, "PayloadTooLarge").kind, VerdictKind::Failed);
}

TEST(ApnsClassify, ProviderTokenProblemsRefreshAndRetry) {
  for (const char* r : {"ExpiredProviderToken", "InvalidProviderToken"}) {
    Verdict v = c(403, r);
    EXPECT_EQ(v.kind, VerdictKind::Retry) << r;
    EXPECT_TRUE(v.refresh_credential);
    EXPECT_TRUE(v.close_connection);
  }
}

TEST(ApnsClassify, RetryableWithRetryAfter) {
  Verdict v = c(429, "TooManyRequests", "7");
  EXPECT_EQ(v.kind, VerdictKind::Retry);
  EXPECT_EQ(v.retry_after_ms, 7000);
  EXPECT_TRUE(c(429, "TooManyProviderTokenUpdates").close_connection);
  EXPECT_EQ(c(500, "InternalServerError").kind, VerdictKind::Retry);
  EXPECT_EQ(c(503, "ServiceUnavailable").kind, VerdictKind::Retry);
  Verdict s = c(503, "Shutdown");
  EXPECT_EQ(s.kind, VerdictKind::Retry);
  EXPECT_TRUE(s.close_connection);
  EXPECT_EQ(c(400, "IdleTimeout").kind, VerdictKind::Retry);
}

TEST(ApnsClassify, GarbageBodiesAreHandled) {
  EXPECT_EQ(classify_apns(400, "not json", "", "", 0).kind, VerdictKind::Failed);
  EXPECT_EQ(classify_apns(410, "{\"timestamp\":\"x\"}", "", "", 0).since_ms, 0);
  EXPECT_EQ(classify_apns(599, "", "", "", 0).kind, VerdictKind::Retry);
  EXPECT_EQ(classify_apns(418, "", "", "", 0).kind, VerdictKind::Failed);
}

}  // namespace
}  // namespace pushgw::provider
