#include "ingest/send.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/request_parser.h"

namespace pushgw::ingest {
namespace {

const std::string kTok1(64, 'a');
const std::string kTok2 = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kTok3(64, '7');
// RFC 8291 section 5 example subscription keys (a valid P-256 point).
const char* kP256 = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
// Same X with the last bit of Y flipped: not on the curve.
const char* kOffCurve = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw8";

class Apps : public AppDirectory {
 public:
  Apps() {
    apps_.push_back({1, Platform::Apns, "shop-ios", false});
    apps_.push_back({2, Platform::Fcm, "shop-android", false});
    apps_.push_back({3, Platform::WebPush, "shop-web", false, {8443}});
    apps_.push_back({4, Platform::WebPush, "lab-web", true, {9443}});
  }
  const AppInfo* find(Platform p, std::string_view name) const override {
    for (const auto& a : apps_)
      if (a.platform == p && a.name == name) return &a;
    return nullptr;
  }

 private:
  std::vector<AppInfo> apps_;
};

class SendTest : public ::testing::Test {
 protected:
  Result<SendRequest> parse(const std::string& line) {
    auto r = parser_.parse(line);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return parse_send(parser_.root(), apps_, 1'700'000'000'000);
  }
  SendRequest ok(const std::string& line) {
    auto r = parse(line);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : SendRequest{};
  }
  static std::string render(const Batch& b, uint32_t i) {
    std::string out;
    b.tmpl.render(b.var_view(i), out);
    EXPECT_EQ(out.size(), b.tmpl.rendered_size(b.var_view(i)));
    return out;
  }
  static std::string apns(const std::string& tokens, const std::string& extra = "",
                          const std::string& payload = R"({"aps":{"alert":"hi"}})") {
    return R"({"op":"send","notifications":[{"platform":"apns","app":"shop-ios","tokens":)" + tokens +
           R"(,"payload":)" + payload + extra + "}]}";
  }
  static std::string webpush(const std::string& subs, const std::string& extra = "", const std::string& app = "shop-web") {
    return R"({"op":"send","notifications":[{"platform":"webpush","app":")" + app + R"(","subscriptions":)" + subs +
           extra + "}]}";
  }
  static std::string sub(const std::string& endpoint, const std::string& p256 = kP256,
                         const std::string& auth = kAuth, const std::string& more = "") {
    return R"({"endpoint":")" + endpoint + R"(","keys":{"p256dh":")" + p256 + R"(","auth":")" + auth + "\"}" +
           more + "}";
  }

  RequestParser parser_;
  Apps apps_;
};

TEST_F(SendTest, ApnsBasic) {
  auto r = ok(R"({"op":"send","id":"b","campaign":"spring","notifications":[{"platform":"apns","app":"shop-ios",
    "tokens":[")" + kTok1 + R"(",")" + kTok2 + R"("],"payload":{ "aps" : {"alert":{"title":"Hi","body":"x"}}}}]})");
  EXPECT_FALSE(r.wait);
  EXPECT_EQ(r.campaign, "spring");
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_TRUE(r.rejected.empty());
  ASSERT_EQ(r.batches.size(), 1u);
  const Batch& b = *r.batches[0];
  EXPECT_EQ(b.platform, Platform::Apns);
  EXPECT_EQ(b.app_id, 1);
  EXPECT_EQ(b.n, 0u);
  EXPECT_EQ(b.campaign, "spring");
  EXPECT_EQ(b.pending.load(), 0u);
  EXPECT_EQ(b.expires_at_ms, 0);
  ASSERT_EQ(b.recipients.size(), 2u);
  EXPECT_EQ(b.token(0), kTok1);
  EXPECT_EQ(b.token(1), kTok2);
  EXPECT_TRUE(b.vars.empty());
  EXPECT_EQ(b.recipients[0].vars_off, UINT32_MAX);
  EXPECT_FALSE(b.tmpl.has_vars());
  EXPECT_EQ(render(b, 0), R"({"aps":{"alert":{"title":"Hi","body":"x"}}})");
  // Absent options stay "not set".
  EXPECT_EQ(b.apns.priority, -1);
  EXPECT_EQ(b.apns.expiration, -1);
  EXPECT_TRUE(b.apns.push_type.empty());
  EXPECT_TRUE(b.apns.collapse_id.empty());
  EXPECT_TRUE(b.apns.topic.empty());
  EXPECT_TRUE(b.results.empty());
}

// APNs tokens are checked 8 bytes at a time: every ASCII byte value and a
// non-ASCII character, at the ends and inside of several words.
TEST_F(SendTest, ApnsTokenBytesAreCheckedAtEveryPosition) {
  std::string tokens = "[";
  size_t want_ok = 0, n = 0;
  for (int c = 0; c < 0x81; ++c) {
    for (size_t at : {0, 3, 7, 8, 12, 31, 40, 56, 63}) {
      std::string tok(64, 'a');
      for (size_t i = 0; i < tok.size(); ++i) tok[i] = "0123456789abcdefABCDEF"[(i * 7) % 22];
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c == 0x80 ? 0xe9 : c);  // 0x80: stands for an accented letter
      tokens += (n++ ? ",\"" : "\"") + tok.substr(0, at) + esc + tok.substr(at + 1) + "\"";
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) ++want_ok;
    }
  }
  tokens += "]";
  auto r = ok(apns(tokens));
  EXPECT_EQ(r.accepted, want_ok);
  EXPECT_EQ(r.rejected.size(), n - want_ok);
  for (const auto& rej : r.rejected) EXPECT_EQ(rej.error, "bad_token");
}

TEST_F(SendTest, ApnsOptionsAndExpiry) {
  auto r = ok(apns("[\"" + kTok1 + "\"]",
                   R"(,"push_type":"voip","priority":5,"expiration":1800000000,"collapse_id":"sale","topic":"com.x.voip")"));
  ASSERT_EQ(r.batches.size(), 1u);
  const Batch& b = *r.batches[0];
  EXPECT_EQ(b.apns.push_type, "voip");
  EXPECT_EQ(b.apns.priority, 5);
  EXPECT_EQ(b.apns.expiration, 1800000000);
  EXPECT_EQ(b.apns.collapse_id, "sale");
  EXPECT_EQ(b.apns.topic, "com.x.voip");
  EXPECT_EQ(b.expires_at_ms, int64_t{1800000000} * 1000);
  // expiration 0 is sent as a header but is no expiry; expires_at applies.
  auto r2 = ok(apns("[\"" + kTok1 + "\"]", R"(,"expiration":0,"expires_at":"2026-11-22T10:00:00Z")"));
  EXPECT_EQ(r2.batches[0]->apns.expiration, 0);
  EXPECT_EQ(r2.batches[0]->expires_at_ms, int64_t{1795341600} * 1000);
  auto r3 = ok(apns("[\"" + kTok1 + "\"]", R"(,"expires_at":1795341600.5)"));
  EXPECT_EQ(r3.batches[0]->expires_at_ms, int64_t{1795341600} * 1000 + 500);
}

TEST_F(SendTest, ApnsInvalidOptionRejectsEveryRecipient) {
  for (const char* extra : {R"(,"push_type":"loud")", R"(,"priority":7)", R"(,"priority":"10")",
                            R"(,"expiration":-1)", R"(,"expiration":1.5)", R"(,"collapse_id":5)",
                            R"(,"topic":7)", R"(,"expires_at":"tomorrow")"}) {
    std::string collapse = std::string(",\"collapse_id\":\"") + std::string(65, 'c') + "\"";
    for (const std::string& e : {std::string(extra), collapse}) {
      auto r = ok(apns("[\"" + kTok1 + "\",\"" + kTok2 + "\"]", e));
      EXPECT_EQ(r.accepted, 0u) << e;
      EXPECT_TRUE(r.batches.empty()) << e;
      ASSERT_EQ(r.rejected.size(), 2u) << e;
      EXPECT_EQ(r.rejected[0].error, "bad_request") << e;
      EXPECT_EQ(r.rejected[0].token, kTok1);
      EXPECT_EQ(r.rejected[1].token, kTok2);
      EXPECT_FALSE(r.rejected[0].message.empty());
    }
  }
}

TEST_F(SendTest, ApnsPayloadMustBeObject) {
  for (const char* payload : {"\"text\"", "[1]", "null"}) {
    auto r = ok(apns("[\"" + kTok1 + "\"]", "", payload));
    ASSERT_EQ(r.rejected.size(), 1u);
    EXPECT_EQ(r.rejected[0].error, "bad_request");
    EXPECT_EQ(r.accepted, 0u);
  }
  auto r = ok(R"({"notifications":[{"platform":"apns","app":"shop-ios","tokens":[")" + kTok1 + "\"]}]}");
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].error, "bad_request");
}

TEST_F(SendTest, MixedGoodAndBadRecipients) {
  std::string tokens = "[\"zz\",\"" + kTok1 + "\",42,{\"vars\":{}},{\"token\":\"" + kTok2 +
                       "\",\"registered_at\":\"2026-01-01T00:00:00Z\"},\"" + kTok3 + "g\",{\"token\":\"" + kTok3 +
                       "\",\"registered_at\":1700000000},{\"token\":\"" + kTok3 + "\",\"registered_at\":\"x\"}]";
  auto r = ok(apns(tokens));
  EXPECT_EQ(r.accepted, 3u);
  ASSERT_EQ(r.batches.size(), 1u);
  const Batch& b = *r.batches[0];
  ASSERT_EQ(b.recipients.size(), 3u);
  EXPECT_EQ(b.token(0), kTok1);
  EXPECT_EQ(b.token(1), kTok2);
  EXPECT_EQ(b.token(2), kTok3);
  EXPECT_EQ(b.recipients[0].registered_at_ms, 0);
  EXPECT_EQ(b.recipients[1].registered_at_ms, int64_t{1767225600} * 1000);
  EXPECT_EQ(b.recipients[2].registered_at_ms, int64_t{1700000000} * 1000);
  ASSERT_EQ(r.rejected.size(), 5u);
  EXPECT_EQ(r.rejected[0].token, "zz");
  EXPECT_EQ(r.rejected[0].error, "bad_token");
  EXPECT_EQ(r.rejected[0].message, "APNs token must be 64 hex chars");
  EXPECT_EQ(r.rejected[1].error, "bad_request");  // 42
  EXPECT_EQ(r.rejected[2].error, "bad_request");  // object without token
  EXPECT_EQ(r.rejected[3].error, "bad_token");    // 65 chars
  EXPECT_EQ(r.rejected[3].token, kTok3 + "g");
  EXPECT_EQ(r.rejected[4].error, "bad_request");  // registered_at "x"
  for (const auto& rej : r.rejected) {
    EXPECT_EQ(rej.n, 0u);
    EXPECT_FALSE(rej.is_endpoint);
  }
}

TEST_F(SendTest, NotificationIndexes) {
  auto r = ok(R"({"op":"send","wait":true,"notifications":[
    {"platform":"apns","app":"shop-ios","tokens":["bad"],"payload":{}},
    {"platform":"apns","app":"shop-ios","tokens":[")" + kTok1 + R"(","bad2"],"payload":{}},
    7,
    {"platform":"apns","app":"nope","tokens":[")" + kTok2 + R"(",")" + kTok3 + R"("],"payload":{}},
    {"platform":"apns","app":"shop-ios","tokens":[")" + kTok3 + R"("],"payload":{}}]})");
  EXPECT_TRUE(r.wait);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.batches.size(), 2u);
  EXPECT_EQ(r.batches[0]->n, 1u);
  EXPECT_EQ(r.batches[1]->n, 4u);
  EXPECT_TRUE(r.batches[0]->wait);
  EXPECT_EQ(r.batches[0]->results.size(), 1u);
  ASSERT_EQ(r.rejected.size(), 5u);
  EXPECT_EQ(r.rejected[0].n, 0u);
  EXPECT_EQ(r.rejected[1].n, 1u);
  EXPECT_EQ(r.rejected[1].token, "bad2");
  EXPECT_EQ(r.rejected[2].n, 2u);
  EXPECT_EQ(r.rejected[2].error, "bad_request");
  EXPECT_EQ(r.rejected[3].n, 3u);
  EXPECT_EQ(r.rejected[3].error, "unknown_app");
  EXPECT_EQ(r.rejected[3].token, kTok2);
  EXPECT_EQ(r.rejected[4].token, kTok3);
}

TEST_F(SendTest, UnknownPlatformAndApp) {
  auto r = ok(R"({"notifications":[{"platform":"mpns","app":"x","tokens":["t1",{"token":"t2"}]},
    {"platform":"webpush","app":"nope","subscriptions":[{"endpoint":"https://a.example/1"},5]},
    {"platform":"fcm","app":"nope","topic":"news"},
    {"platform":"apns","app":"nope"},
    {"platform":"mpns","subscriptions":[{"endpoint":"https://b.example/2"}]}]})");
  EXPECT_EQ(r.accepted, 0u);
  ASSERT_EQ(r.rejected.size(), 7u);
  EXPECT_EQ(r.rejected[0].error, "unknown_platform");
  EXPECT_EQ(r.rejected[0].token, "t1");
  EXPECT_EQ(r.rejected[1].token, "t2");
  EXPECT_EQ(r.rejected[2].error, "unknown_app");
  EXPECT_EQ(r.rejected[2].token, "https://a.example/1");
  EXPECT_TRUE(r.rejected[2].is_endpoint);
  EXPECT_EQ(r.rejected[3].token, "");
  EXPECT_EQ(r.rejected[4].error, "unknown_app");
  EXPECT_EQ(r.rejected[4].token, "news");
  EXPECT_EQ(r.rejected[5].error, "unknown_app");  // no recipients readable: one, empty token
  EXPECT_EQ(r.rejected[5].token, "");
  EXPECT_EQ(r.rejected[5].n, 3u);
  EXPECT_EQ(r.rejected[6].error, "unknown_platform");
  EXPECT_TRUE(r.rejected[6].is_endpoint);
  EXPECT_EQ(r.rejected[6].token, "https://b.example/2");
}

TEST_F(SendTest, RequestLevelErrors) {
  for (const char* line : {R"({"op":"send"})", R"({"op":"send","notifications":{}})",
                           R"({"op":"send","notifications":[],"wait":"yes"})",
                           R"({"op":"send","notifications":[],"campaign":1})"}) {
    auto r = parse(line);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().code, "bad_request");
  }
  auto empty = ok(R"({"op":"send","notifications":[]})");
  EXPECT_EQ(empty.accepted, 0u);
}

TEST_F(SendTest, VarsStoredAndRenderedPerRecipient) {
  std::string tokens = "[\"" + kTok1 + "\",{\"token\":\"" + kTok2 +
                       R"(","vars":{"name":"A\"iko","n":3,"vip":true,"x":null,"obj":{"a":[1,"b"]},"unused":"zzz"}},)" +
                       "{\"token\":\"" + kTok3 + R"(","vars":{"name":"Bo","n":-2.5}}])";
  auto r = ok(apns(tokens, "", R"({"aps":{"alert":"{{name|friend}}: {{n}} {{vip}} [{{x|none}}] {{obj}}"}})"));
  ASSERT_EQ(r.batches.size(), 1u);
  const Batch& b = *r.batches[0];
  ASSERT_EQ(b.vars_table.size(), 5u);
  EXPECT_EQ(b.vars_table.find("unused"), -1);
  // Sparse: one run (a header, then the referenced vars it gives, by slot)
  // per recipient with vars; nothing for the others.
  ASSERT_EQ(b.vars.size(), (1u + 5u) + (1u + 2u));
  EXPECT_EQ(b.recipients[0].vars_off, UINT32_MAX);
  EXPECT_EQ(b.recipients[1].vars_off, 0u);
  EXPECT_EQ(b.recipients[2].vars_off, 6u);
  EXPECT_EQ(b.arena.find("zzz"), std::string::npos);  // unreferenced vars are not stored
  EXPECT_EQ(render(b, 0), R"({"aps":{"alert":"friend:   [none] "}})");
  EXPECT_EQ(render(b, 1), R"({"aps":{"alert":"A\"iko: 3 true [none] {\"a\":[1,\"b\"]}"}})");
  EXPECT_EQ(render(b, 2), R"({"aps":{"alert":"Bo: -2.5  [none] "}})");
  const VarView v1 = b.var_view(1);
  ASSERT_EQ(v1.count, 5u);
  for (uint32_t i = 0; i < v1.count; ++i) EXPECT_EQ(v1.values[i].slot, i);
  const VarValue& name = v1.values[b.vars_table.find("name")];
  EXPECT_EQ(name.kind, VarValue::String);
  EXPECT_EQ(std::string_view(b.arena).substr(name.off, name.len), "A\"iko");  // raw, unescaped
  EXPECT_EQ(v1.values[b.vars_table.find("n")].kind, VarValue::Literal);
  EXPECT_EQ(v1.values[b.vars_table.find("x")].kind, VarValue::Missing);  // null: as if absent
  EXPECT_EQ(b.var_view(2).count, 2u);
}

TEST_F(SendTest, BadVarsRejectOnlyThatRecipient) {
  std::string tokens = "[{\"token\":\"" + kTok1 + "\",\"vars\":[1]},{\"token\":\"" + kTok2 +
                       "\",\"vars\":{\"name\":\"x\"}},{\"token\":\"" + kTok3 + "\",\"vars\":null}]";
  auto r = ok(apns(tokens, "", R"({"a":"{{name}}"})"));
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].error, "bad_request");
  EXPECT_EQ(r.rejected[0].token, kTok1);
  const Batch& b = *r.batches[0];
  EXPECT_EQ(b.vars.size(), 2u);
  EXPECT_EQ(render(b, 0), R"({"a":"x"})");
  EXPECT_EQ(render(b, 1), R"({"a":""})");
}

TEST_F(SendTest, ApnsPayloadTooLarge) {
  std::string big(4100, 'x');
  auto r = ok(apns("[\"" + kTok1 + "\",\"" + kTok2 + "\"]", "", R"({"a":")" + big + "\"}"));
  EXPECT_EQ(r.accepted, 0u);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].error, "payload_too_large");
  // VoIP allows 5120.
  auto v = ok(apns("[\"" + kTok1 + "\"]", R"(,"push_type":"voip")", R"({"a":")" + big + "\"}"));
  EXPECT_EQ(v.accepted, 1u);
  // With vars, only the recipient whose values push it over is rejected.
  std::string fill(4080, 'y');
  std::string tokens = "[{\"token\":\"" + kTok1 + "\",\"vars\":{\"v\":\"short\"}},{\"token\":\"" + kTok2 +
                       "\",\"vars\":{\"v\":\"" + std::string(20, 'q') + "\"}},\"" + kTok3 + "\"]";
  auto w = ok(apns(tokens, "", R"({"a":")" + fill + R"({{v}}"})"));
  EXPECT_EQ(w.accepted, 2u);
  ASSERT_EQ(w.rejected.size(), 1u);
  EXPECT_EQ(w.rejected[0].token, kTok2);
  EXPECT_EQ(w.rejected[0].error, "payload_too_large");
  const Batch& b = *w.batches[0];
  EXPECT_EQ(b.token(1), kTok3);
  EXPECT_EQ(b.vars.size(), 2u);
  EXPECT_EQ(b.recipients[1].vars_off, UINT32_MAX);
  EXPECT_EQ(render(b, 0).size(), 4080u + 8 + 5);
  // Escaping counts: 2100 backslashes (4200 in JSON source) render as 4200 bytes.
  std::string esc_tokens = "[{\"token\":\"" + kTok1 + "\",\"vars\":{\"v\":\"" + std::string(2100, 'a') +
                           "\"}},{\"token\":\"" + kTok2 + "\",\"vars\":{\"v\":\"" +
                           std::string(2100 * 2, '\\') + "\"}}]";
  auto e = ok(apns(esc_tokens, "", R"({"a":"{{v}}"})"));
  EXPECT_EQ(e.accepted, 1u);
  ASSERT_EQ(e.rejected.size(), 1u);
  EXPECT_EQ(e.rejected[0].token, kTok2);
}

TEST_F(SendTest, FcmTokensAndMessage) {
  std::string long_tok(4097, 'k');
  auto r = ok(R"({"notifications":[{"platform":"fcm","app":"shop-android",
    "tokens":["fcm-token:1",{"token":"fcm-2","vars":{"name":"Ana"}},"","has space",")" + long_tok + R"(","caf\u00e9"],
    "message":{"notification":{"title":"Hi {{name}}"},"data":{"sku":"123"}}}]})");
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.rejected.size(), 4u);
  for (const auto& rej : r.rejected) EXPECT_EQ(rej.error, "bad_token");
  const Batch& b = *r.batches[0];
  EXPECT_EQ(b.platform, Platform::Fcm);
  EXPECT_EQ(b.app_id, 2);
  EXPECT_EQ(b.fcm.target, FcmOptions::Target::Token);
  EXPECT_EQ(b.token(0), "fcm-token:1");
  EXPECT_EQ(render(b, 0), R"({"notification":{"title":"Hi "},"data":{"sku":"123"}})");
  EXPECT_EQ(render(b, 1), R"({"notification":{"title":"Hi Ana"},"data":{"sku":"123"}})");
}

// FCM tokens are checked 8 bytes at a time: every ASCII byte value and a
// non-ASCII character, at each position of the words and of the tail.
TEST_F(SendTest, FcmTokenBytesAreCheckedAtEveryPosition) {
  std::string tokens = "[";
  size_t want_ok = 0, n = 0;
  for (int c = 0; c < 0x81; ++c) {
    for (size_t at = 0; at < 19; ++at) {
      std::string tok(19, 'k');
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c == 0x80 ? 0xe9 : c);  // 0x80: stands for an accented letter
      tokens += (n++ ? ",\"" : "\"") + tok.substr(0, at) + esc + tok.substr(at + 1) + "\"";
      if (c > 0x20 && c < 0x7f) ++want_ok;
    }
  }
  tokens += "]";
  auto r = ok(R"({"notifications":[{"platform":"fcm","app":"shop-android","tokens":)" + tokens +
              R"(,"message":{"data":{"a":"b"}}}]})");
  EXPECT_EQ(r.accepted, want_ok);
  EXPECT_EQ(r.rejected.size(), n - want_ok);
  for (const auto& rej : r.rejected) EXPECT_EQ(rej.error, "bad_token");
}

TEST_F(SendTest, FcmTargets) {
  auto r = ok(R"({"notifications":[
    {"platform":"fcm","app":"shop-android","topic":"news-1.a~b%20","message":{"data":{"a":"b"}}},
    {"platform":"fcm","app":"shop-android","condition":"'a' in topics && 'b' in topics","message":{}},
    {"platform":"fcm","app":"shop-android","topic":"/topics/news","message":{}},
    {"platform":"fcm","app":"shop-android","topic":"news","tokens":["t"],"message":{}},
    {"platform":"fcm","app":"shop-android","message":{}},
    {"platform":"fcm","app":"shop-android","tokens":["t"],"message":{"token":"x"}},
    {"platform":"fcm","app":"shop-android","topic":"news","message":{"condition":"x"}},
    {"platform":"fcm","app":"shop-android","tokens":["t"],"message":"str"},
    {"platform":"fcm","app":"shop-android","topic":5,"message":{}}]})");
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.batches.size(), 2u);
  EXPECT_EQ(r.batches[0]->fcm.target, FcmOptions::Target::Topic);
  EXPECT_EQ(r.batches[0]->token(0), "news-1.a~b%20");
  EXPECT_EQ(r.batches[1]->fcm.target, FcmOptions::Target::Condition);
  EXPECT_EQ(r.batches[1]->token(0), "'a' in topics && 'b' in topics");
  ASSERT_EQ(r.rejected.size(), 7u);
  EXPECT_EQ(r.rejected[0].n, 2u);
  EXPECT_EQ(r.rejected[0].error, "bad_token");
  EXPECT_EQ(r.rejected[0].token, "/topics/news");
  EXPECT_EQ(r.rejected[1].n, 3u);
  EXPECT_EQ(r.rejected[1].error, "bad_request");
  EXPECT_EQ(r.rejected[2].n, 4u);
  EXPECT_EQ(r.rejected[2].error, "bad_request");
  EXPECT_EQ(r.rejected[3].n, 5u);
  EXPECT_EQ(r.rejected[3].error, "bad_request");
  EXPECT_NE(r.rejected[3].message.find("token"), std::string::npos);
  EXPECT_EQ(r.rejected[3].token, "t");
  EXPECT_EQ(r.rejected[4].n, 6u);
  EXPECT_EQ(r.rejected[4].token, "news");
  EXPECT_EQ(r.rejected[5].n, 7u);
  EXPECT_EQ(r.rejected[6].n, 8u);
  EXPECT_EQ(r.rejected[6].error, "bad_request");
}

TEST_F(SendTest, FcmMessageTooLarge) {
  std::string big(4100, 'x');
  auto r = ok(R"({"notifications":[{"platform":"fcm","app":"shop-android","tokens":["a","b"],"message":{"data":{"d":")" +
              big + "\"}}}]}");
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].error, "payload_too_large");
}

TEST_F(SendTest, WebPushGoodSubscription) {
  auto r = ok(webpush("[" + sub("https://push.example.net/wp/abc", kP256, kAuth, R"(,"vars":{"name":"Aiko"})") + "]",
                      R"(,"ttl":86400,"urgency":"high","topic":"sale_1-x","payload":{"title":"Hi {{name}}"})"));
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_TRUE(r.rejected.empty()) << r.rejected[0].message;
  const Batch& b = *r.batches[0];
  EXPECT_EQ(b.platform, Platform::WebPush);
  EXPECT_EQ(b.token(0), "https://push.example.net/wp/abc");
  EXPECT_EQ(b.webpush.ttl, 86400);
  EXPECT_EQ(b.webpush.urgency, "high");
  EXPECT_EQ(b.webpush.topic, "sale_1-x");
  EXPECT_EQ(render(b, 0), R"({"title":"Hi Aiko"})");
  std::string_view keys = std::string_view(b.arena).substr(b.recipients[0].keys_off, 81);
  EXPECT_EQ(static_cast<unsigned char>(keys[0]), 0x04);
  EXPECT_EQ(static_cast<unsigned char>(keys[1]), 0x25);  // 'BCVx' decodes to 04 25 71
  EXPECT_EQ(static_cast<unsigned char>(keys[2]), 0x71);
  EXPECT_EQ(static_cast<unsigned char>(keys[65]), 0x05);  // auth 'BTBZ' -> 05 30 59
  EXPECT_EQ(static_cast<unsigned char>(keys[66]), 0x30);
  // Defaults.
  auto d = ok(webpush("[" + sub("https://push.example.net/x") + "]"));
  EXPECT_EQ(d.batches[0]->webpush.ttl, 2419200);
  EXPECT_TRUE(d.batches[0]->webpush.urgency.empty());
  EXPECT_TRUE(d.batches[0]->webpush.topic.empty());
  EXPECT_EQ(render(*d.batches[0], 0), "");
}

// A Web Push ttl is the message's expiry, like APNs "expiration" (the
// earlier of it and expires_at); ttl 0 is now or never: one attempt.
TEST_F(SendTest, WebPushTtlIsTheExpiry) {
  constexpr int64_t kAccept = 1'700'000'000'000;  // what parse() passes as now
  auto r = ok(webpush("[" + sub("https://push.example.net/x") + "]", R"(,"ttl":60)"));
  EXPECT_EQ(r.batches[0]->expires_at_ms, kAccept + 60'000);
  EXPECT_FALSE(r.batches[0]->once);
  auto earlier = ok(webpush("[" + sub("https://push.example.net/x") + "]", R"(,"ttl":60,"expires_at":1700000030)"));
  ASSERT_EQ(earlier.batches.size(), 1u);
  EXPECT_EQ(earlier.batches[0]->expires_at_ms, kAccept + 30'000);
  auto now = ok(webpush("[" + sub("https://push.example.net/x") + "]", R"(,"ttl":0)"));
  EXPECT_TRUE(now.batches[0]->once);
  EXPECT_EQ(now.batches[0]->expires_at_ms, 0);
  auto huge = ok(webpush("[" + sub("https://push.example.net/x") + "]", R"(,"ttl":9223372036854775807)"));
  EXPECT_GT(huge.batches[0]->expires_at_ms, kAccept) << "overflowed";
}

TEST_F(SendTest, WebPushStringPayloadIsRaw) {
  auto r = ok(webpush("[" + sub("https://push.example.net/x", kP256, kAuth, R"(,"vars":{"n":"\"q\""})") + "]",
                      R"(,"payload":"line \"1\"\n{{n}}")"));
  ASSERT_EQ(r.accepted, 1u);
  EXPECT_EQ(render(*r.batches[0], 0), "line \"1\"\n\"q\"");
  auto arr = ok(webpush("[" + sub("https://push.example.net/x") + "]", R"(,"payload":[1, "a"])"));
  EXPECT_EQ(render(*arr.batches[0], 0), R"([1,"a"])");
  auto bad = ok(webpush("[" + sub("https://push.example.net/x") + "]", R"(,"payload":5)"));
  ASSERT_EQ(bad.rejected.size(), 1u);
  EXPECT_EQ(bad.rejected[0].error, "bad_request");
}

TEST_F(SendTest, WebPushRejections) {
  std::string subs = "[" + sub("http://push.example.net/x") + "," + sub("not a url") + "," + sub("https://127.0.0.1/x") +
                     "," + sub("https://localhost:8443/x") + "," + sub("https://[::1]/x") + "," +
                     sub("https://10.1.2.3/x") + "," + sub("https://push.example.net/off", kOffCurve) + "," +
                     sub("https://push.example.net/short", "BCVxsr7N") + "," +
                     sub("https://push.example.net/auth", kP256, "BTBZMqHH6r4Tts7J_aSI") + "," +
                     R"({"endpoint":"https://push.example.net/nokeys"},5,{"keys":{}},)" +
                     sub("https://push.example.net/ok") + "," + sub("https://8.8.8.8:8443/ok2") + "]";
  auto r = ok(webpush(subs));
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.rejected.size(), 12u);
  const char* want[] = {"endpoint_refused", "bad_subscription", "endpoint_refused", "endpoint_refused",
                        "endpoint_refused", "endpoint_refused", "bad_subscription", "bad_subscription",
                        "bad_subscription", "bad_subscription", "bad_subscription", "bad_subscription"};
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(r.rejected[i].error, want[i]) << i << " " << r.rejected[i].token << ": " << r.rejected[i].message;
    EXPECT_TRUE(r.rejected[i].is_endpoint);
  }
  EXPECT_EQ(r.rejected[0].token, "http://push.example.net/x");
  EXPECT_EQ(r.batches[0]->token(0), "https://push.example.net/ok");
  EXPECT_EQ(r.batches[0]->token(1), "https://8.8.8.8:8443/ok2");
}

// Subscribers choose endpoints: 443 (written or implied) and the app's
// endpoint_ports only (issue 15, item 4).
TEST_F(SendTest, WebPushEndpointPortIs443OrListed) {
  auto r = ok(webpush("[" + sub("https://push.example.net:22/a") + "," + sub("https://push.example.net:443/b") + "," +
                      sub("https://push.example.net:8443/c") + "," + sub("https://push.example.net:9443/d") + "," +
                      sub("https://push.example.net/e") + "]"));
  EXPECT_EQ(r.accepted, 3u);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].token, "https://push.example.net:22/a");
  EXPECT_EQ(r.rejected[1].token, "https://push.example.net:9443/d");  // lab-web's port, not shop-web's
  for (const auto& rej : r.rejected) {
    EXPECT_EQ(rej.error, "endpoint_refused");
    EXPECT_NE(rej.message.find("endpoint_ports"), std::string::npos) << rej.message;
  }
}

TEST_F(SendTest, WebPushPrivateAllowedForLabApp) {
  auto r = ok(webpush("[" + sub("https://127.0.0.1:9443/x") + "," + sub("https://localhost/y") + "," +
                          sub("http://127.0.0.1/z") + "]",
                      "", "lab-web"));
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].error, "endpoint_refused");  // https is still required
}

TEST_F(SendTest, WebPushOptionsAndSize) {
  for (const char* extra : {R"(,"ttl":-1)", R"(,"ttl":"60")", R"(,"urgency":"urgent")",
                            R"(,"topic":"has space")", R"(,"topic":"abcdefghijklmnopqrstuvwxyz0123456")",
                            R"(,"topic":"a+b")"}) {
    auto r = ok(webpush("[" + sub("https://push.example.net/x") + "]", extra));
    ASSERT_EQ(r.rejected.size(), 1u) << extra;
    EXPECT_EQ(r.rejected[0].error, "bad_request") << extra;
    EXPECT_TRUE(r.rejected[0].is_endpoint);
  }
  auto fits = ok(webpush("[" + sub("https://push.example.net/x") + "]",
                         ",\"payload\":\"" + std::string(3993, 'p') + "\""));
  EXPECT_EQ(fits.accepted, 1u);
  auto big = ok(webpush("[" + sub("https://push.example.net/x") + "]",
                        ",\"payload\":\"" + std::string(3994, 'p') + "\""));
  ASSERT_EQ(big.rejected.size(), 1u);
  EXPECT_EQ(big.rejected[0].error, "payload_too_large");
}

TEST_F(SendTest, ManyRecipientsNoPerRecipientGrowth) {
  std::string tokens = "[";
  for (int i = 0; i < 1000; ++i) tokens += (i ? ",\"" : "\"") + kTok1 + "\"";
  tokens += "]";
  auto r = ok(apns(tokens));
  ASSERT_EQ(r.accepted, 1000u);
  const Batch& b = *r.batches[0];
  EXPECT_EQ(b.recipients.capacity(), 1000u);
  EXPECT_EQ(b.arena.size(), 64000u);
  EXPECT_LE(b.arena.capacity(), 64000u + 64);
  EXPECT_EQ(b.token(999), kTok1);
}

// Campaign policy: "class" and "cap".
TEST_F(SendTest, ClassAndCapOverride) {
  auto req = ok(apns(R"([")" + kTok1 + R"("])"));
  ASSERT_EQ(req.batches.size(), 1u);
  EXPECT_FALSE(req.batches[0]->marketing);
  EXPECT_FALSE(req.batches[0]->cap_override);

  req = ok(apns(R"([")" + kTok1 + R"("])", R"(,"class":"marketing")"));
  ASSERT_EQ(req.batches.size(), 1u);
  EXPECT_TRUE(req.batches[0]->marketing);

  req = ok(apns(R"([")" + kTok1 + R"("])", R"(,"class":"transactional","cap":false)"));
  ASSERT_EQ(req.batches.size(), 1u);
  EXPECT_FALSE(req.batches[0]->marketing);
  EXPECT_TRUE(req.batches[0]->cap_override);

  req = ok(apns(R"([")" + kTok1 + R"(",")" + kTok2 + R"("])", R"(,"class":"promo")"));
  EXPECT_TRUE(req.batches.empty());
  ASSERT_EQ(req.rejected.size(), 2u);
  EXPECT_EQ(req.rejected[0].error, "bad_request");

  req = ok(apns(R"([")" + kTok1 + R"("])", R"(,"cap":"no")"));
  EXPECT_TRUE(req.batches.empty());
  ASSERT_EQ(req.rejected.size(), 1u);

  // Request-level "cap": false applies to every notification unless one says otherwise.
  req = ok(R"({"op":"send","cap":false,"notifications":[{"platform":"apns","app":"shop-ios","class":"marketing",)"
           R"("tokens":[")" + kTok1 + R"("],"payload":{}},{"platform":"apns","app":"shop-ios","cap":true,)"
           R"("tokens":[")" + kTok2 + R"("],"payload":{}}]})");
  ASSERT_EQ(req.batches.size(), 2u);
  EXPECT_TRUE(req.batches[0]->cap_override);
  EXPECT_FALSE(req.batches[1]->cap_override);
  EXPECT_FALSE(parse(R"({"op":"send","cap":1,"notifications":[]})").ok());
}

}  // namespace
}  // namespace pushgw::ingest
