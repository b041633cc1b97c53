// FcmProvider::build: path, headers, and a body that parses back to the
// message with the recipient's target as its first member.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "provider/fcm/fcm_provider.h"

namespace pushgw::provider {
namespace {

namespace dom = simdjson::dom;

constexpr int64_t kNow = 1'700'000'000'000;

// A batch as ingest leaves it: compiled message template, targets in the arena.
struct BatchBuilder {
  std::unique_ptr<Batch> b = std::make_unique<Batch>();

  explicit BatchBuilder(std::string_view message) {
    b->platform = Platform::Fcm;
    auto t = Template::compile(message, Template::Mode::Json, b->vars_table);
    EXPECT_TRUE(t.ok());
    b->tmpl = std::move(t.value());
  }
  // vars: (name, string value) pairs stored like ingest does.
  void add(std::string_view target, std::vector<std::pair<std::string, std::string>> vars = {}) {
    Recipient r;
    r.token_off = static_cast<uint32_t>(b->arena.size());
    r.token_len = static_cast<uint32_t>(target.size());
    b->arena.append(target);
    if (!vars.empty()) {
      // A run: a header with the count, then the values sorted by slot.
      r.vars_off = static_cast<uint32_t>(b->vars.size());
      b->vars.emplace_back().len = static_cast<uint32_t>(vars.size());
      const size_t first = b->vars.size();
      for (auto& [name, value] : vars) {
        int32_t s = b->vars_table.find(name);
        ASSERT_GE(s, 0) << name;
        VarValue& v = b->vars.emplace_back();
        v.slot = static_cast<uint16_t>(s);
        v.kind = VarValue::String;
        v.off = static_cast<uint32_t>(b->arena.size());
        v.len = static_cast<uint32_t>(value.size());
        b->arena.append(value);
      }
      std::sort(b->vars.begin() + static_cast<std::ptrdiff_t>(first), b->vars.end(),
                [](const VarValue& x, const VarValue& y) { return x.slot < y.slot; });
    }
    b->recipients.push_back(r);
  }
};

struct Fixture {
  std::shared_ptr<FcmTokenSource> tokens = std::make_shared<FcmTokenSource>();
  FcmProvider p{FcmSettings{"127.0.0.1:9443", "my-proj-123", tokens}};
  Fixture() {
    tokens->set("ya29.access-token-1", kNow + 3'600'000, kNow);
    p.begin_drain(kNow);
  }
};

// Parses body, checks the outer shape and returns the names of the
// message's members in order; `message` receives the object.
std::vector<std::string> message_keys(dom::parser& parser, const std::string& body, dom::object& message) {
  dom::element root;
  EXPECT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
  dom::object outer;
  EXPECT_EQ(root.get(outer), simdjson::SUCCESS);
  EXPECT_EQ(outer.size(), 1u) << body;
  EXPECT_EQ(outer["message"].get(message), simdjson::SUCCESS) << body;
  std::vector<std::string> keys;
  for (auto kv : message) keys.emplace_back(kv.key);
  return keys;
}

std::string str(dom::object e, std::string_view json_pointer) {
  std::string_view s;
  EXPECT_EQ(e.at_pointer(json_pointer).get(s), simdjson::SUCCESS) << json_pointer;
  return std::string(s);
}

TEST(FcmBuild, PathHeadersAndTokenFirst) {
  Fixture f;
  BatchBuilder bb(R"({"notification":{"title":"Hi {{name}}","body":"20% off"},"data":{"sku":"123"},)"
                  R"("android":{"priority":"high"}})");
  bb.add("tokenA:APA91b-xyz", {{"name", "Aiko"}});
  bb.add("tokenB", {});
  HttpRequest req;
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.authority, "127.0.0.1:9443");
  EXPECT_EQ(req.path, "/v1/projects/my-proj-123/messages:send");
  ASSERT_TRUE(req.shared);  // the provider's block: authorization, content-type
  EXPECT_EQ(req.shared->nheaders + req.nheaders, 2u);
  EXPECT_EQ(req.header("authorization"), "Bearer ya29.access-token-1");
  EXPECT_EQ(req.header("content-type"), "application/json");

  dom::parser parser;
  dom::object msg;
  auto keys = message_keys(parser, req.body, msg);
  ASSERT_EQ(keys, (std::vector<std::string>{"token", "notification", "data", "android"}));
  dom::object m = msg;
  EXPECT_EQ(str(m, "/token"), "tokenA:APA91b-xyz");
  EXPECT_EQ(str(m, "/notification/title"), "Hi Aiko");
  EXPECT_EQ(str(m, "/notification/body"), "20% off");
  EXPECT_EQ(str(m, "/data/sku"), "123");
  EXPECT_EQ(str(m, "/android/priority"), "high");

  // Second recipient reuses the request; no vars -> the placeholder renders empty.
  req.clear();
  ASSERT_TRUE(f.p.build(*bb.b, 1, kNow, req).ok());
  keys = message_keys(parser, req.body, msg);
  m = msg;
  EXPECT_EQ(keys.front(), "token");
  EXPECT_EQ(str(m, "/token"), "tokenB");
  EXPECT_EQ(str(m, "/notification/title"), "Hi ");
  ASSERT_TRUE(req.shared);
  EXPECT_EQ(req.shared->nheaders + req.nheaders, 2u);
}

TEST(FcmBuild, ExactBodyAndEmptyMessage) {
  Fixture f;
  BatchBuilder bb(R"({"data":{"k":"v"}})");
  bb.add("t1");
  HttpRequest req;
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
  EXPECT_EQ(req.body, R"({"message":{"token":"t1","data":{"k":"v"}}})");

  BatchBuilder empty("{}");
  empty.add("t2");
  req.clear();
  ASSERT_TRUE(f.p.build(*empty.b, 0, kNow, req).ok());
  EXPECT_EQ(req.body, R"({"message":{"token":"t2"}})");
}

TEST(FcmBuild, TargetIsJsonEscaped) {
  Fixture f;
  BatchBuilder bb(R"({"data":{"k":"v"}})");
  const std::string weird = "a\"b\\c}{";  // printable ASCII ingest would accept
  bb.add(weird);
  HttpRequest req;
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
  dom::parser parser;
  dom::object msg;
  auto keys = message_keys(parser, req.body, msg);
  EXPECT_EQ(keys, (std::vector<std::string>{"token", "data"}));
  EXPECT_EQ(str(msg, "/token"), weird);
}

TEST(FcmBuild, TopicAndConditionTargets) {
  Fixture f;
  BatchBuilder topic(R"({"notification":{"title":"News"}})");
  topic.b->fcm.target = FcmOptions::Target::Topic;
  topic.add("weather-eu");
  HttpRequest req;
  ASSERT_TRUE(f.p.build(*topic.b, 0, kNow, req).ok());
  EXPECT_EQ(req.body, R"({"message":{"topic":"weather-eu","notification":{"title":"News"}}})");

  BatchBuilder cond(R"({"notification":{"title":"News"}})");
  cond.b->fcm.target = FcmOptions::Target::Condition;
  cond.add("'dogs' in topics && ('cats' in topics || \"x\" in topics)");
  req.clear();
  ASSERT_TRUE(f.p.build(*cond.b, 0, kNow, req).ok());
  dom::parser parser;
  dom::object msg;
  auto keys = message_keys(parser, req.body, msg);
  EXPECT_EQ(keys, (std::vector<std::string>{"condition", "notification"}));
  EXPECT_EQ(str(msg, "/condition"), "'dogs' in topics && ('cats' in topics || \"x\" in topics)");
}

TEST(FcmBuild, PersonalizationIsEscapedInsideStrings) {
  Fixture f;
  BatchBuilder bb(R"({"notification":{"title":"Hi {{name|friend}}"}})");
  bb.add("t1", {{"name", "Bo \"the\" \\ one\n"}});
  bb.add("t2");
  HttpRequest req;
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
  dom::parser parser;
  dom::object msg;
  message_keys(parser, req.body, msg);
  EXPECT_EQ(str(msg, "/notification/title"), "Hi Bo \"the\" \\ one\n");
  req.clear();
  ASSERT_TRUE(f.p.build(*bb.b, 1, kNow, req).ok());
  message_keys(parser, req.body, msg);
  EXPECT_EQ(str(msg, "/notification/title"), "Hi friend");
}

TEST(FcmBuild, NoTokenYetIsCredentialUnavailable) {
  auto tokens = std::make_shared<FcmTokenSource>();
  FcmProvider p(FcmSettings{std::string(kFcmDefaultAuthority), "proj", tokens});
  BatchBuilder bb("{}");
  bb.add("t");
  p.begin_drain(kNow);
  HttpRequest req;
  auto r = p.build(*bb.b, 0, kNow, req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "credential_unavailable");
  // The token arrives: the next drain picks it up.
  tokens->set("tok-2", kNow + 3'600'000, kNow);
  p.begin_drain(kNow);
  req.clear();
  ASSERT_TRUE(p.build(*bb.b, 0, kNow, req).ok());
  EXPECT_EQ(req.header("authorization"), "Bearer tok-2");
  EXPECT_EQ(req.authority, "fcm.googleapis.com:443");
}

TEST(FcmBuild, TokenIsReadPerDrainNotPerBuild) {
  Fixture f;
  BatchBuilder bb("{}");
  bb.add("t");
  f.tokens->set("ya29.access-token-2", kNow + 3'600'000, kNow);
  HttpRequest req;
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
  EXPECT_EQ(req.header("authorization"), "Bearer ya29.access-token-1");  // same drain
  f.p.begin_drain(kNow);
  req.clear();
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
  EXPECT_EQ(req.header("authorization"), "Bearer ya29.access-token-2");
}

// Requests of one token share one block of header fields; a request keeps
// the token it was built with after the provider moves on (a 401 on it
// invalidates that token, not the new one). With every block held by
// requests of older tokens, a request carries its fields itself.
TEST(FcmBuild, RequestsShareHeadersAndKeepTheTokenTheyWereBuiltWith) {
  Fixture f;
  BatchBuilder bb("{}");
  bb.add("t");
  std::vector<HttpRequest> held(8);
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, held[0]).ok());
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, held[1]).ok());
  ASSERT_TRUE(held[0].shared);
  EXPECT_EQ(held[0].shared, held[1].shared);  // one block, not a copy per request
  EXPECT_EQ(held[0].nheaders, 0u);
  for (int i = 2; i <= 5; ++i) {  // four more tokens, each with a request in flight
    f.tokens->set("ya29.access-token-" + std::to_string(i), kNow + 3'600'000, kNow);
    f.p.begin_drain(kNow);
    HttpRequest& req = held[static_cast<size_t>(i)];
    ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
    EXPECT_EQ(req.header("authorization"), "Bearer ya29.access-token-" + std::to_string(i));
    EXPECT_EQ(req.header("content-type"), "application/json");
    if (i < 5) {
      EXPECT_TRUE(req.shared) << i;
    } else {  // tokens 1-4 hold every block: this request has its own fields
      EXPECT_FALSE(req.shared);
      EXPECT_EQ(req.nheaders, 2u);
    }
  }
  EXPECT_EQ(held[0].header("authorization"), "Bearer ya29.access-token-1");
  EXPECT_EQ(held[4].header("authorization"), "Bearer ya29.access-token-4");
  // Token 1's requests are answered: its block is free and refilled.
  held[0].clear();
  held[1].clear();
  HttpRequest next;
  ASSERT_TRUE(f.p.build(*bb.b, 0, kNow, next).ok());
  ASSERT_TRUE(next.shared);
  EXPECT_EQ(next.header("authorization"), "Bearer ya29.access-token-5");
  EXPECT_EQ(held[2].header("authorization"), "Bearer ya29.access-token-2");
}

TEST(FcmBuild, CredentialRejectedInvalidatesTheCurrentTokenOnce) {
  Fixture f;
  const uint64_t g = f.tokens->generation();
  EXPECT_FALSE(f.tokens->needs_refresh(kNow));
  HttpRequest sent;
  sent.add_header("authorization", "Bearer ya29.access-token-1");
  EXPECT_EQ(f.p.credential_rejected(sent, kNow), CredentialRetry::Backoff);
  EXPECT_TRUE(f.tokens->needs_refresh(kNow));
  EXPECT_EQ(f.tokens->generation(), g + 1);
  f.p.credential_rejected(sent, kNow);  // a second 401 for the same token
  EXPECT_EQ(f.tokens->generation(), g + 1);
  // Until a new token arrives the old one is still sent (those requests are
  // retried) rather than failing recipients.
  BatchBuilder bb("{}");
  bb.add("t");
  HttpRequest req;
  EXPECT_TRUE(f.p.build(*bb.b, 0, kNow, req).ok());
}

TEST(FcmBuild, ProjectIdIsEscapedInPath) {
  auto tokens = std::make_shared<FcmTokenSource>();
  tokens->set("t", kNow + 3'600'000, kNow);
  FcmProvider q(FcmSettings{"h:1", "a/b c", tokens});
  q.begin_drain(kNow);
  BatchBuilder bb("{}");
  bb.add("t");
  HttpRequest req;
  ASSERT_TRUE(q.build(*bb.b, 0, kNow, req).ok());
  EXPECT_EQ(req.path, "/v1/projects/a%2Fb%20c/messages:send");
}

}  // namespace
}  // namespace pushgw::provider
