// FcmTokenSource: refresh schedule with injected times, invalidation by
// many threads, and the token endpoint's request/response formats.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "provider/fcm/fcm_token_source.h"

namespace pushgw::provider {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;

TEST(FcmTokenSource, EmptyUntilSet) {
  FcmTokenSource s;
  EXPECT_EQ(s.token(), nullptr);
  EXPECT_TRUE(s.needs_refresh(kT0));
  EXPECT_EQ(s.generation(), 0u);
  s.set("tok", kT0 + 60 * kMin, kT0);
  ASSERT_NE(s.token(), nullptr);
  EXPECT_EQ(*s.token(), "tok");
  EXPECT_EQ(s.generation(), 1u);
}

TEST(FcmTokenSource, OneHourTokenRefreshesWithTenPercentLeft) {
  FcmTokenSource s;
  s.set("tok", kT0 + 60 * kMin, kT0);  // 1 h lifetime: 10 % = 6 min > 5 min
  EXPECT_FALSE(s.needs_refresh(kT0));
  EXPECT_FALSE(s.needs_refresh(kT0 + 54 * kMin - 1));
  EXPECT_TRUE(s.needs_refresh(kT0 + 54 * kMin));
  EXPECT_TRUE(s.needs_refresh(kT0 + 61 * kMin));  // expired
  EXPECT_EQ(s.refresh_due_ms(), kT0 + 54 * kMin);
}

TEST(FcmTokenSource, ShortTokenKeepsFiveMinuteMargin) {
  FcmTokenSource s;
  s.set("tok", kT0 + 20 * kMin, kT0);  // 10 % = 2 min < 5 min
  EXPECT_FALSE(s.needs_refresh(kT0 + 15 * kMin - 1));
  EXPECT_TRUE(s.needs_refresh(kT0 + 15 * kMin));
  // Unknown issue time: only the 5 minute rule applies.
  s.set("tok2", kT0 + 120 * kMin);
  EXPECT_FALSE(s.needs_refresh(kT0 + 115 * kMin - 1));
  EXPECT_TRUE(s.needs_refresh(kT0 + 115 * kMin));
}

TEST(FcmTokenSource, InvalidateOnlyTheCurrentToken) {
  FcmTokenSource s;
  s.set("old", kT0 + 60 * kMin, kT0);
  s.set("new", kT0 + 120 * kMin, kT0 + 60 * kMin);
  const uint64_t g = s.generation();
  EXPECT_FALSE(s.invalidate("old"));  // a late 401 for a replaced token
  EXPECT_EQ(s.generation(), g);
  EXPECT_FALSE(s.needs_refresh(kT0 + 61 * kMin));
  EXPECT_TRUE(s.invalidate("new"));
  EXPECT_EQ(s.generation(), g + 1);
  EXPECT_TRUE(s.needs_refresh(kT0 + 61 * kMin));
  EXPECT_FALSE(s.invalidate("new"));  // already marked
  EXPECT_EQ(s.generation(), g + 1);
  EXPECT_EQ(*s.token(), "new");  // still handed out until replaced
  s.set("newer", kT0 + 180 * kMin, kT0 + 61 * kMin);
  EXPECT_FALSE(s.needs_refresh(kT0 + 62 * kMin));
  EXPECT_EQ(s.generation(), g + 2);
  FcmTokenSource empty;
  EXPECT_FALSE(empty.invalidate(""));
}

TEST(FcmTokenSource, ManyThreadsReportingTheSame401BumpOnce) {
  FcmTokenSource s;
  s.set("tok", kT0 + 60 * kMin, kT0);
  const uint64_t g = s.generation();
  std::atomic<int> winners{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      auto t = s.token();
      for (int k = 0; k < 100; ++k)
        if (s.invalidate(*t)) winners.fetch_add(1);
    });
  go.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(s.generation(), g + 1);
  EXPECT_TRUE(s.needs_refresh(kT0));
}

TEST(FcmTokenSource, ReadersKeepTheirTokenAcrossSet) {
  FcmTokenSource s;
  s.set("first", kT0 + 60 * kMin, kT0);
  auto held = s.token();
  s.set("second", kT0 + 120 * kMin, kT0);
  EXPECT_EQ(*held, "first");
  EXPECT_EQ(*s.token(), "second");
}

TEST(FcmTokenSource, TokenRequestBody) {
  EXPECT_EQ(FcmTokenSource::token_request_body("aaa.bbb-_.ccc"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=aaa.bbb-_.ccc");
  EXPECT_EQ(FcmTokenSource::token_request_body("a+b/c=&"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a%2Bb%2Fc%3D%26");
}

TEST(FcmTokenSource, ParsesGooglesTokenResponse) {
  auto r = FcmTokenSource::parse_token_response(
      200, R"({"access_token":"ya29.c.b0Aaek-tok_en","expires_in":3599,"token_type":"Bearer"})", kT0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first, "ya29.c.b0Aaek-tok_en");
  EXPECT_EQ(r->second, kT0 + 3'599'000);
  // expires_in absent: one hour.
  auto d = FcmTokenSource::parse_token_response(200, R"({"access_token":"t"})", kT0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->second, kT0 + 3'600'000);
  auto q = FcmTokenSource::parse_token_response(200, R"({"access_token":"t","expires_in":"120"})", kT0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->second, kT0 + 120'000);
}

TEST(FcmTokenSource, TokenEndpointErrors) {
  auto r = FcmTokenSource::parse_token_response(
      400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})", kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "oauth_rejected");
  EXPECT_NE(r.error().message.find("400"), std::string::npos);
  EXPECT_NE(r.error().message.find("invalid_grant"), std::string::npos);
  EXPECT_NE(r.error().message.find("Invalid JWT Signature."), std::string::npos);
  auto html = FcmTokenSource::parse_token_response(503, "<html>oops</html>", kT0);
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().code, "oauth_rejected");

  for (std::string_view bad : {std::string_view("not json"), std::string_view("{}"),
                               std::string_view(R"({"access_token":""})"),
                               std::string_view(R"({"access_token":42})"),
                               std::string_view(R"({"access_token":"a b"})"),          // would break the header
                               std::string_view("{\"access_token\":\"a\\r\\nX: y\"}"),  // header injection
                               std::string_view(R"({"access_token":"t","expires_in":-5})"),
                               std::string_view(R"({"access_token":"t","expires_in":0})"),
                               std::string_view(R"({"access_token":"t","expires_in":"soon"})"),
                               std::string_view(R"({"access_token":"t","expires_in":null})")}) {
    auto e = FcmTokenSource::parse_token_response(200, bad, kT0);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().code, "oauth_bad_response") << bad;
  }
}

TEST(FcmTokenSource, ErrorMessagesNeverEchoTheToken) {
  auto e = FcmTokenSource::parse_token_response(200, R"({"access_token":"secret tok"})", kT0);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace pushgw::provider
