#include "request.h"

#include <gtest/gtest.h>

#include "json_util.h"

namespace pushgw::ctl {
namespace {

constexpr std::string_view kPretty = R"({
  "campaign": "spring",
  "notifications": [
    {"platform": "apns", "app": "shop-ios",
     "tokens": ["zz"],
     "payload": {"aps": {"alert": {"body": "20% off \u00e9 \"today\""}}, "price": 1.50, "big": 12345678901234567}},
    {"platform": "webpush", "app": "w", "subscriptions": []},
    {"app": "no-platform"}
  ]
}
)";

TEST(SendRequest, MinifiesToOneLineAddingOpAndId) {
  auto r = build_send_request(kPretty, false, "gen-1");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->line,
            R"({"op":"send","id":"gen-1","campaign":"spring","notifications":[{"platform":"apns","app":"shop-ios",)"
            R"("tokens":["zz"],"payload":{"aps":{"alert":{"body":"20% off \u00e9 \"today\""}},"price":1.50,)"
            R"("big":12345678901234567}},{"platform":"webpush","app":"w","subscriptions":[]},{"app":"no-platform"}]})");
  EXPECT_EQ(r->line.find('\n'), std::string::npos);
  EXPECT_EQ(r->id_key, id_key_of_string("gen-1"));
  EXPECT_FALSE(r->wait);
  EXPECT_EQ(r->platforms, (std::vector<std::string>{"apns", "webpush", ""}));
}

TEST(SendRequest, KeepsGivenOpIdAndWait) {
  auto r = build_send_request(R"( {"op":"send", "id":"b-17", "wait":true, "notifications":[]} )", false, "gen");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->line, R"({"op":"send","id":"b-17","wait":true,"notifications":[]})");
  EXPECT_EQ(r->id_key, id_key_of_string("b-17"));
  EXPECT_TRUE(r->wait);
}

TEST(SendRequest, ForceWaitAddsOrOverridesWait) {
  auto added = build_send_request(R"({"notifications":[]})", true, "g");
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->line, R"({"op":"send","id":"g","wait":true,"notifications":[]})");
  EXPECT_TRUE(added->wait);
  auto overridden = build_send_request(R"({"id":"x","wait":false,"notifications":[{"n":1}]})", true, "g");
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->line, R"({"op":"send","id":"x","notifications":[{"n":1}],"wait":true})");
  auto empty = build_send_request("{}", true, "g");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->line, R"({"op":"send","id":"g","wait":true})");
}

TEST(SendRequest, RejectsBadInput) {
  for (std::string_view bad : {"", "not json", "[1,2]", "{\"a\":", "{\"op\":\"stats\"}", "{\"id\":5}"}) {
    auto r = build_send_request(bad, false, "g");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_input");
  }
  EXPECT_EQ(build_send_request("{\"id\":5}", false, "g").error().message, "\"id\" must be a string");
  EXPECT_EQ(build_send_request("[1]", false, "g").error().message, "not a JSON object");
}

TEST(RawRequest, MinifiesAndKeysById) {
  auto r = build_raw_request("{ \"op\": \"ping\" }");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->line, R"({"op":"ping"})");
  EXPECT_EQ(r->id_key, kNullIdKey);
  auto s = build_raw_request(R"({"op":"stats","id":"q"})");
  EXPECT_EQ(s->id_key, id_key_of_string("q"));
  EXPECT_FALSE(build_raw_request("ping").ok());
}

TEST(OtherRequests, AreOneLineJson) {
  EXPECT_EQ(build_op_request("stats", "i1"), R"({"op":"stats","id":"i1"})");
  EXPECT_EQ(build_feedback_request("i2", 43, std::nullopt), R"({"op":"feedback","id":"i2","since":43})");
  EXPECT_EQ(build_feedback_request("i2", 0, 100), R"({"op":"feedback","id":"i2","since":0,"limit":100})");
  Options o;
  o.platform = "apns";
  o.app = "a\"b";
  o.token = "tok";
  EXPECT_EQ(build_token_request("token", "i3", o),
            R"({"op":"token","id":"i3","platform":"apns","app":"a\"b","token":"tok"})");
  o.token.clear();
  o.endpoint = "https://p/x";
  EXPECT_EQ(build_token_request("forget", "i4", o),
            R"({"op":"forget","id":"i4","platform":"apns","app":"a\"b","endpoint":"https://p/x"})");
}

TEST(JsonQuote, EscapesControlsQuotesAndBackslashes) { EXPECT_EQ(json_quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")"); }

}  // namespace
}  // namespace pushgw::ctl
