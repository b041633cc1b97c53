// Every row of the FCM outcome table, fed with Google's error JSON as the
// v1 API sends it (shapes from the FCM ErrorCode reference and
// google.rpc.Status; messages as Google words them).
#include <gtest/gtest.h>

#include "provider/fcm/fcm_provider.h"

namespace pushgw::provider {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

constexpr std::string_view kOk = R"({
  "name": "projects/my-proj-123/messages/0:1500415314455276%31bd1c9631bd1c96"
})";

constexpr std::string_view kUnregistered = R"({
  "error": {
    "code": 404,
    "message": "Requested entity was not found.",
    "status": "NOT_FOUND",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "UNREGISTERED"
      }
    ]
  }
})";

constexpr std::string_view kNotFoundNoCode = R"({
  "error": {
    "code": 404,
    "message": "Requested entity was not found.",
    "status": "NOT_FOUND"
  }
})";

constexpr std::string_view kBadTokenByMessage = R"({
  "error": {
    "code": 400,
    "message": "The registration token is not a valid FCM registration token",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "INVALID_ARGUMENT"
      }
    ]
  }
})";

constexpr std::string_view kBadTokenByField = R"({
  "error": {
    "code": 400,
    "message": "Request contains an invalid argument.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "INVALID_ARGUMENT"
      },
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [
          {
            "field": "message.token",
            "description": "Invalid registration token"
          }
        ]
      }
    ]
  }
})";

constexpr std::string_view kBadPayload = R"({
  "error": {
    "code": 400,
    "message": "Invalid JSON payload received. Unknown name \"titel\" at 'message.notification': Cannot find field.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [
          {
            "field": "message.notification",
            "description": "Invalid JSON payload received. Unknown name \"titel\" at 'message.notification': Cannot find field."
          }
        ]
      }
    ]
  }
})";

constexpr std::string_view kReservedDataKey = R"({
  "error": {
    "code": 400,
    "message": "Invalid data payload key: from",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "INVALID_ARGUMENT"
      },
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [
          { "field": "message.data", "description": "Invalid data payload key: from" }
        ]
      }
    ]
  }
})";

constexpr std::string_view kSenderIdMismatch = R"({
  "error": {
    "code": 403,
    "message": "SenderId mismatch",
    "status": "PERMISSION_DENIED",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "SENDER_ID_MISMATCH"
      }
    ]
  }
})";

constexpr std::string_view kPermissionDenied = R"({
  "error": {
    "code": 403,
    "message": "Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/my-proj-123' (or it may not exist).",
    "status": "PERMISSION_DENIED",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "IAM_PERMISSION_DENIED",
        "domain": "cloudresourcemanager.googleapis.com"
      }
    ]
  }
})";

constexpr std::string_view kQuotaExceeded = R"({
  "error": {
    "code": 429,
    "message": "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com' for consumer 'project_number:123456789'.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "QUOTA_EXCEEDED"
      },
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [ { "subject": "project_number:123456789" } ]
      }
    ]
  }
})";

constexpr std::string_view kInternal = R"({
  "error": {
    "code": 500,
    "message": "Internal error encountered.",
    "status": "INTERNAL",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "INTERNAL"
      }
    ]
  }
})";

constexpr std::string_view kUnavailable = R"({
  "error": {
    "code": 503,
    "message": "The service is currently unavailable.",
    "status": "UNAVAILABLE",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "UNAVAILABLE"
      }
    ]
  }
})";

constexpr std::string_view kThirdPartyAuth = R"({
  "error": {
    "code": 401,
    "message": "Auth error from APNS or Web Push Service",
    "status": "UNAUTHENTICATED",
    "details": [
      {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
        "errorCode": "THIRD_PARTY_AUTH_ERROR"
      }
    ]
  }
})";

constexpr std::string_view kUnauthenticated = R"({
  "error": {
    "code": 401,
    "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    "status": "UNAUTHENTICATED",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_EXPIRED",
        "domain": "googleapis.com",
        "metadata": { "service": "fcm.googleapis.com", "method": "google.firebase.fcm.v1.FcmService.SendMessage" }
      }
    ]
  }
})";

TEST(FcmClassify, DeliveredCarriesTheMessageName) {
  Verdict v = classify_fcm(200, kOk, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Delivered);
  EXPECT_EQ(v.http_status, 200);
  EXPECT_EQ(v.id, "projects/my-proj-123/messages/0:1500415314455276%31bd1c9631bd1c96");
  EXPECT_EQ(classify_fcm(200, "", "", kNow).kind, VerdictKind::Delivered);  // body lost: still delivered
}

TEST(FcmClassify, UnregisteredIsUnsubscribed) {
  Verdict v = classify_fcm(404, kUnregistered, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Unsubscribed);
  EXPECT_EQ(v.reason, "UNREGISTERED");
  EXPECT_EQ(v.http_status, 404);
}

TEST(FcmClassify, NotFoundWithoutUnregisteredFails) {
  Verdict v = classify_fcm(404, kNotFoundNoCode, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Failed);
  EXPECT_EQ(v.reason, "NOT_FOUND");
  EXPECT_EQ(classify_fcm(404, "", "", kNow).reason, "http_404");
}

TEST(FcmClassify, InvalidArgumentAboutTheTokenIsInvalid) {
  for (auto body : {kBadTokenByMessage, kBadTokenByField}) {
    Verdict v = classify_fcm(400, body, "", kNow);
    EXPECT_EQ(v.kind, VerdictKind::Invalid) << body;
    EXPECT_EQ(v.reason, "INVALID_ARGUMENT");
  }
}

TEST(FcmClassify, InvalidArgumentAboutThePayloadFailsWithGooglesMessage) {
  Verdict v = classify_fcm(400, kBadPayload, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Failed);
  EXPECT_EQ(v.reason,
            "INVALID_ARGUMENT: Invalid JSON payload received. Unknown name \"titel\" at 'message.notification': "
            "Cannot find field.");
  Verdict r = classify_fcm(400, kReservedDataKey, "", kNow);
  EXPECT_EQ(r.kind, VerdictKind::Failed);
  EXPECT_EQ(r.reason, "INVALID_ARGUMENT: Invalid data payload key: from");
}

TEST(FcmClassify, SenderIdMismatchIsInvalidOtherForbiddenFails) {
  Verdict v = classify_fcm(403, kSenderIdMismatch, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Invalid);
  EXPECT_EQ(v.reason, "SENDER_ID_MISMATCH");
  Verdict d = classify_fcm(403, kPermissionDenied, "", kNow);
  EXPECT_EQ(d.kind, VerdictKind::Failed);
  EXPECT_EQ(d.reason, "PERMISSION_DENIED");
}

TEST(FcmClassify, QuotaExceededWaitsAtLeastAMinuteUnlessRetryAfterSays) {
  Verdict v = classify_fcm(429, kQuotaExceeded, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Retry);
  EXPECT_EQ(v.reason, "QUOTA_EXCEEDED");
  EXPECT_EQ(v.min_retry_ms, 60'000);
  EXPECT_EQ(v.retry_after_ms, -1);
  EXPECT_FALSE(v.refresh_credential);

  Verdict h = classify_fcm(429, kQuotaExceeded, "17", kNow);
  EXPECT_EQ(h.kind, VerdictKind::Retry);
  EXPECT_EQ(h.retry_after_ms, 17'000);
  EXPECT_EQ(h.min_retry_ms, 0);

  Verdict bare = classify_fcm(429, "", "", kNow);  // RESOURCE_EXHAUSTED without a body
  EXPECT_EQ(bare.kind, VerdictKind::Retry);
  EXPECT_EQ(bare.reason, "QUOTA_EXCEEDED");
  EXPECT_EQ(bare.min_retry_ms, 60'000);
}

TEST(FcmClassify, ServerErrorsRetryHonouringRetryAfter) {
  Verdict i = classify_fcm(500, kInternal, "", kNow);
  EXPECT_EQ(i.kind, VerdictKind::Retry);
  EXPECT_EQ(i.reason, "INTERNAL");
  EXPECT_EQ(i.retry_after_ms, -1);
  EXPECT_EQ(i.min_retry_ms, 0);
  Verdict u = classify_fcm(503, kUnavailable, "Tue, 14 Nov 2023 22:13:50 GMT", kNow);
  EXPECT_EQ(u.kind, VerdictKind::Retry);
  EXPECT_EQ(u.reason, "UNAVAILABLE");
  EXPECT_EQ(u.retry_after_ms, 30'000);  // kNow is 22:13:20 GMT
  Verdict g = classify_fcm(502, "<html><body>Bad Gateway</body></html>", "5", kNow);
  EXPECT_EQ(g.kind, VerdictKind::Retry);
  EXPECT_EQ(g.reason, "http_502");
  EXPECT_EQ(g.retry_after_ms, 5'000);
}

TEST(FcmClassify, AbsurdRetryAfterIsCappedNotOverflowed) {
  Verdict v = classify_fcm(503, kUnavailable, "99999999999999999999", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Retry);
  EXPECT_EQ(v.retry_after_ms, 366LL * 24 * 3600 * 1000);  // provider/common caps at 366 days
  EXPECT_EQ(classify_fcm(503, kUnavailable, "0000000000007", kNow).retry_after_ms, 7'000);
  EXPECT_EQ(classify_fcm(503, kUnavailable, "-5", kNow).retry_after_ms, -1);
}

TEST(FcmClassify, ThirdPartyAuthErrorFailsWithoutRefreshing) {
  Verdict v = classify_fcm(401, kThirdPartyAuth, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Failed);
  EXPECT_EQ(v.reason, "THIRD_PARTY_AUTH_ERROR");
  EXPECT_FALSE(v.refresh_credential);
}

TEST(FcmClassify, OurExpiredAccessTokenRefreshesAndRetries) {
  Verdict v = classify_fcm(401, kUnauthenticated, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Retry);
  EXPECT_TRUE(v.refresh_credential);
  EXPECT_EQ(v.reason, "UNAUTHENTICATED");
  Verdict bare = classify_fcm(401, "", "", kNow);
  EXPECT_EQ(bare.kind, VerdictKind::Retry);
  EXPECT_TRUE(bare.refresh_credential);
  EXPECT_EQ(bare.reason, "UNAUTHENTICATED");
}

TEST(FcmClassify, OtherClientErrorsFailWithCodeOrStatus) {
  constexpr std::string_view kPayloadTooBig = R"({"error":{"code":400,"message":"Message is too big",)"
                                              R"("status":"INVALID_ARGUMENT","details":[{"@type":)"
                                              R"("type.googleapis.com/google.firebase.fcm.v1.FcmError",)"
                                              R"("errorCode":"MESSAGE_TOO_BIG"}]}})";
  Verdict big = classify_fcm(400, kPayloadTooBig, "", kNow);
  EXPECT_EQ(big.kind, VerdictKind::Failed);
  EXPECT_EQ(big.reason, "MESSAGE_TOO_BIG");
  Verdict m = classify_fcm(405, R"({"error":{"code":405,"status":"METHOD_NOT_ALLOWED"}})", "", kNow);
  EXPECT_EQ(m.kind, VerdictKind::Failed);
  EXPECT_EQ(m.reason, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(classify_fcm(418, "", "", kNow).reason, "http_418");
  EXPECT_EQ(classify_fcm(418, "", "", kNow).kind, VerdictKind::Failed);
}

TEST(FcmClassify, GarbageIsTolerated) {
  for (std::string_view body : {std::string_view("not json"), std::string_view("{\"error\":"),
                                std::string_view("[1,2,3]"), std::string_view("{\"error\":\"x\"}"),
                                std::string_view("{\"error\":{\"details\":[1,\"a\",{\"errorCode\":5}]}}"),
                                std::string_view("\0\xff\xfe", 3)}) {
    Verdict v = classify_fcm(400, body, "", kNow);
    EXPECT_EQ(v.kind, VerdictKind::Failed) << body;
    EXPECT_EQ(classify_fcm(404, body, "", kNow).kind, VerdictKind::Failed);
    EXPECT_EQ(classify_fcm(500, body, "junk", kNow).retry_after_ms, -1);
  }
  // Reasons never carry control characters or non-ASCII bytes from the body.
  Verdict v = classify_fcm(400,
                           "{\"error\":{\"message\":\"bad\\n\\u00e9 thing\\r\\n\",\"status\":\"INVALID_ARGUMENT\"}}",
                           "", kNow);
  EXPECT_EQ(v.reason, "INVALID_ARGUMENT: bad ?? thing");
}

TEST(FcmClassify, MessageInReasonIsBounded) {
  std::string msg(5000, 'x');
  std::string body = R"({"error":{"code":400,"message":")" + msg + R"(","status":"INVALID_ARGUMENT"}})";
  Verdict v = classify_fcm(400, body, "", kNow);
  EXPECT_EQ(v.kind, VerdictKind::Failed);
  EXPECT_LE(v.reason.size(), 220u);
}

TEST(FcmClassify, ProviderUsesHeadersFromTheResponse) {
  FcmProvider p(FcmSettings{"h:443", "proj", std::make_shared<FcmTokenSource>()});
  HttpResponse r;
  r.status = 429;
  r.add_header("retry-after", "3");
  r.body.assign(kQuotaExceeded);
  Verdict v = p.classify(r, kNow);
  EXPECT_EQ(v.kind, VerdictKind::Retry);
  EXPECT_EQ(v.retry_after_ms, 3'000);
  // The reusable reader gives the same answers on repeated use.
  r.clear();
  r.status = 200;
  r.body.assign(kOk);
  EXPECT_EQ(p.classify(r, kNow).id, "projects/my-proj-123/messages/0:1500415314455276%31bd1c9631bd1c96");
  r.status = 404;
  r.body.assign(kUnregistered);
  EXPECT_EQ(p.classify(r, kNow).kind, VerdictKind::Unsubscribed);
}

// The sender's path: one Verdict kept across responses, whatever it held
// before, answers exactly as classify() does.
TEST(FcmClassifyInto, AnswersAsClassifyWhateverTheKeptVerdictHeld) {
  FcmProvider p(FcmSettings{"127.0.0.1:9443", "my-proj-123", std::make_shared<FcmTokenSource>()});
  auto response = [](int status, std::string_view body, std::string_view retry_after) {
    HttpResponse r;
    r.status = status;
    r.body.assign(body);
    if (!retry_after.empty()) r.add_header("retry-after", retry_after);
    return r;
  };
  const std::vector<HttpResponse> answers = {
      response(404, kUnregistered, ""),
      response(200, kOk, ""),
      response(429, R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}})", "7"),
      response(200, R"({"name":"projects/p/messages/1"})", ""),
      response(503, "", "3"),
      response(200, "", ""),
      response(200, "not json", ""),
      response(200, kOk, ""),
  };
  Verdict kept;
  for (const HttpResponse& r : answers) {
    const Verdict want = p.classify(r, kNow);
    p.classify_into(r, kNow, kept);
    EXPECT_EQ(kept.kind, want.kind) << r.status << " " << r.body;
    EXPECT_EQ(kept.http_status, want.http_status);
    EXPECT_EQ(kept.reason, want.reason);
    EXPECT_EQ(kept.id, want.id);
    EXPECT_EQ(kept.retry_after_ms, want.retry_after_ms);
    EXPECT_EQ(kept.min_retry_ms, want.min_retry_ms);
    EXPECT_EQ(kept.refresh_credential, want.refresh_credential);
  }
  EXPECT_EQ(kept.id, "projects/my-proj-123/messages/0:1500415314455276%31bd1c9631bd1c96");
}

}  // namespace
}  // namespace pushgw::provider
