// Campaign policy at ingest: send_at, schedule_key, recipient/notification
// tz and quiet hours decide which recipients are sent now, deferred (as a
// self-contained request line) or expired.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/request_parser.h"
#include "ingest/send.h"
#include "tz/quiet_window.h"
#include "tz/zone_cache.h"

namespace pushgw::ingest {
namespace {

const std::string kA(64, 'a'), kB(64, 'b'), kC(64, 'c'), kD(64, 'd');
const char* kP256 = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr int64_t kJune1 = 1'780'272'000;        // 2026-06-01 00:00:00Z
constexpr int64_t k23h = (kJune1 + 23 * 3600) * 1000;  // 23:00Z, epoch ms
constexpr int64_t kHourMs = 3'600'000;

class Apps : public AppDirectory {
 public:
  const AppInfo* find(Platform p, std::string_view) const override {
    return p == Platform::Apns ? &apns_ : p == Platform::Fcm ? &fcm_ : &web_;
  }

 private:
  AppInfo apns_{1, Platform::Apns, "shop-ios", false};
  AppInfo fcm_{2, Platform::Fcm, "shop-android", false};
  AppInfo web_{3, Platform::WebPush, "shop-web", true};
};

class ScheduleTest : public ::testing::Test {
 protected:
  ScheduleTest() {
    policy_.quiet = &quiet_;
    policy_.default_zone = zones_.find("UTC");
    policy_.zones = &zones_;
  }
  SendRequest parse(const std::string& line, int64_t now_ms, const SchedulePolicy* policy = nullptr) {
    auto r = parser_.parse(line);
    EXPECT_TRUE(r.ok()) << line;
    auto s = parse_send(parser_.root(), apps_, now_ms, policy ? *policy : policy_);
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(s).value() : SendRequest{};
  }
  static std::string apns(const std::string& tokens, const std::string& extra = "", const std::string& req = "") {
    return R"({"op":"send","id":"x","wait":true)" + req + R"(,"notifications":[{"platform":"apns","app":"shop-ios",)"
           R"("tokens":)" + tokens + R"(,"payload":{"aps":{"alert":"hi"}})" + extra + "}]}";
  }
  static std::vector<std::string> tokens(const Batch& b) {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < b.recipients.size(); ++i) out.emplace_back(b.token(i));
    return out;
  }

  RequestParser parser_;
  Apps apps_;
  tz::ZoneCache zones_;
  tz::QuietWindow quiet_ = *tz::QuietWindow::parse("22:00-08:00");
  SchedulePolicy policy_;
};

TEST_F(ScheduleTest, SendAtInTheFutureDefersTheNotification) {
  const int64_t now = k23h - 12 * kHourMs;  // 11:00Z: outside quiet hours anyway
  const int64_t send_at_s = now / 1000 + 7200;
  auto r = parse(apns("[\"" + kA + "\",\"zz\",{\"token\":\"" + kB + "\",\"vars\":{\"n\":1}}]",
                      ",\"send_at\":" + std::to_string(send_at_s) + ",\"schedule_key\":\"cart-1\"",
                      ",\"campaign\":\"spring\",\"cap\":false"),
                 now);
  EXPECT_TRUE(r.batches.empty());
  ASSERT_EQ(r.deferred.size(), 1u);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.rejected.size(), 1u);  // a bad token is still rejected at once
  EXPECT_EQ(r.rejected[0].error, "bad_token");
  const Deferred& d = r.deferred[0];
  EXPECT_EQ(d.due_ms, send_at_s * 1000);
  EXPECT_FALSE(d.quiet_hours);
  EXPECT_EQ(d.schedule_key, "cart-1");
  EXPECT_EQ(d.recipients, 2u);
  EXPECT_EQ(d.app, "shop-ios");
  EXPECT_EQ(d.targets, (std::vector<std::string>{kA, kB}));
  EXPECT_EQ(d.line().find("send_at"), std::string::npos);
  // The line is a complete request: parsed when due, it sends exactly those
  // recipients with the campaign, cap override, vars and schedule key.
  auto again = parse(d.line(), d.due_ms);
  EXPECT_TRUE(again.deferred.empty());
  EXPECT_TRUE(again.rejected.empty());
  EXPECT_EQ(again.campaign, "spring");
  EXPECT_TRUE(again.cap_override);
  ASSERT_EQ(again.batches.size(), 1u);
  EXPECT_EQ(tokens(*again.batches[0]), (std::vector<std::string>{kA, kB}));
  EXPECT_NE(d.line().find("{\"token\":\"" + kB + "\",\"vars\":{\"n\":1}}"), std::string::npos);
  EXPECT_NE(d.line().find("\"schedule_key\":\"cart-1\""), std::string::npos);
}

TEST_F(ScheduleTest, SendAtInThePastOrNowSendsNow) {
  auto r = parse(apns("[\"" + kA + "\"]", ",\"send_at\":\"2026-06-01T10:00:00Z\""), k23h - 12 * kHourMs);
  EXPECT_TRUE(r.deferred.empty());
  ASSERT_EQ(r.batches.size(), 1u);
}

TEST_F(ScheduleTest, MalformedSchedulingFieldsRejectTheNotification) {
  for (const char* extra : {R"(,"send_at":"tomorrow")", R"(,"send_at":-5)", R"(,"schedule_key":"")",
                            R"(,"schedule_key":7)", R"(,"tz":"Mars/Base")", R"(,"tz":3)", R"(,"tz":"../etc/passwd")"}) {
    auto r = parse(apns("[\"" + kA + "\",\"" + kB + "\"]", extra), k23h);
    EXPECT_EQ(r.accepted, 0u) << extra;
    ASSERT_EQ(r.rejected.size(), 2u) << extra;
    EXPECT_EQ(r.rejected[0].error, "bad_request") << extra;
  }
}

TEST_F(ScheduleTest, ExpiringBeforeSendAtIsExpiredAtOnce) {
  const int64_t now = k23h - 12 * kHourMs;
  auto r = parse(apns("[\"" + kA + "\",\"" + kB + "\"]",
                      ",\"send_at\":" + std::to_string(now / 1000 + 60) + ",\"expires_at\":" +
                          std::to_string(now / 1000 + 30)),
                 now);
  EXPECT_TRUE(r.deferred.empty());
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(r.batches.size(), 1u);
  const Batch& e = *r.batches[0];
  EXPECT_FALSE(e.journaled);
  EXPECT_EQ(e.expires_at_ms, 1);  // already past for every sender
  EXPECT_EQ(tokens(e), (std::vector<std::string>{kA, kB}));
  EXPECT_EQ(e.results.size(), 2u);  // the request waits
}

TEST_F(ScheduleTest, QuietHoursHoldMarketingOnly) {
  auto m = parse(apns("[\"" + kA + "\"]", ",\"class\":\"marketing\",\"schedule_key\":\"k\""), k23h);
  EXPECT_TRUE(m.batches.empty());
  ASSERT_EQ(m.deferred.size(), 1u);
  EXPECT_TRUE(m.deferred[0].quiet_hours);
  EXPECT_EQ(m.deferred[0].due_ms, k23h + 9 * kHourMs);  // 08:00Z next day (default zone UTC)
  EXPECT_EQ(m.deferred[0].schedule_key, "k");
  // Transactional (explicit or default) is never held.
  for (const char* cls : {"", ",\"class\":\"transactional\""}) {
    auto t = parse(apns("[\"" + kA + "\"]", cls), k23h);
    EXPECT_TRUE(t.deferred.empty());
    ASSERT_EQ(t.batches.size(), 1u);
    EXPECT_TRUE(t.batches[0]->journaled);
  }
  // Outside the window marketing goes now; without quiet hours configured too.
  EXPECT_EQ(parse(apns("[\"" + kA + "\"]", ",\"class\":\"marketing\""), k23h - 12 * kHourMs).batches.size(), 1u);
  SchedulePolicy none;
  EXPECT_EQ(parse(apns("[\"" + kA + "\"]", ",\"class\":\"marketing\""), k23h, &none).batches.size(), 1u);
}

TEST_F(ScheduleTest, RecipientTimeZonesDecideEachRecipient) {
  // 23:00Z: 19:00 in New York (send), 04:30 in Kolkata (hold to 02:30Z),
  // 23:00 UTC for the default zone (hold to 08:00Z); an unknown zone rejects
  // only its recipient.
  auto r = parse(apns("[{\"token\":\"" + kA + "\",\"tz\":\"America/New_York\"},{\"token\":\"" + kB +
                          "\",\"tz\":\"Asia/Kolkata\"},{\"token\":\"" + kC + "\",\"tz\":\"Mars/Base\"},\"" + kD + "\"]",
                      ",\"class\":\"marketing\""),
                 k23h);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(tokens(*r.batches[0]), (std::vector<std::string>{kA}));
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].token, kC);
  EXPECT_EQ(r.rejected[0].error, "bad_request");
  EXPECT_EQ(r.accepted, 3u);
  ASSERT_EQ(r.deferred.size(), 2u);
  EXPECT_EQ(r.deferred[0].due_ms, k23h + 3 * kHourMs + 30 * 60'000);  // 02:30Z
  EXPECT_EQ(r.deferred[0].targets, (std::vector<std::string>{kB}));
  EXPECT_EQ(r.deferred[1].due_ms, k23h + 9 * kHourMs);
  EXPECT_EQ(r.deferred[1].targets, (std::vector<std::string>{kD}));
  // Parsed again when due, the Kolkata recipient is outside its quiet hours.
  auto again = parse(r.deferred[0].line(), r.deferred[0].due_ms);
  EXPECT_TRUE(again.deferred.empty());
  ASSERT_EQ(again.batches.size(), 1u);
  EXPECT_EQ(tokens(*again.batches[0]), (std::vector<std::string>{kB}));
  // Parsed too early, it is held again (to the same end).
  auto early = parse(r.deferred[0].line(), r.deferred[0].due_ms - 1000);
  ASSERT_EQ(early.deferred.size(), 1u);
  EXPECT_EQ(early.deferred[0].due_ms, r.deferred[0].due_ms);
}

TEST_F(ScheduleTest, NotificationTimeZoneIsTheDefaultForItsRecipients) {
  auto r = parse(apns("[\"" + kA + "\",{\"token\":\"" + kB + "\",\"tz\":\"UTC\"}]",
                      ",\"class\":\"marketing\",\"tz\":\"America/New_York\""),
                 k23h);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(tokens(*r.batches[0]), (std::vector<std::string>{kA}));
  ASSERT_EQ(r.deferred.size(), 1u);
  EXPECT_EQ(r.deferred[0].targets, (std::vector<std::string>{kB}));
}

TEST_F(ScheduleTest, QuietHoldPastExpiryExpiresAndOthersAreUnaffected) {
  // Expires 01:00Z: the UTC recipient (held to 08:00Z) expires at once;
  // New York (19:00 there) goes now.
  auto r = parse(apns("[{\"token\":\"" + kA + "\",\"tz\":\"America/New_York\"},\"" + kD + "\"]",
                      ",\"class\":\"marketing\",\"expires_at\":" + std::to_string(k23h / 1000 + 7200)),
                 k23h);
  ASSERT_EQ(r.batches.size(), 2u);
  EXPECT_TRUE(r.batches[0]->journaled);
  EXPECT_EQ(tokens(*r.batches[0]), (std::vector<std::string>{kA}));
  EXPECT_FALSE(r.batches[1]->journaled);
  EXPECT_EQ(tokens(*r.batches[1]), (std::vector<std::string>{kD}));
  EXPECT_EQ(r.batches[1]->n, 0u);
  EXPECT_TRUE(r.batches[1]->marketing);
  EXPECT_TRUE(r.deferred.empty());
}

TEST_F(ScheduleTest, WebPushAndFcmTopicsAreDeferredWhole) {
  const int64_t now = k23h - 12 * kHourMs;
  const std::string send_at = ",\"send_at\":" + std::to_string(now / 1000 + 60);
  const std::string sub = std::string(R"({"endpoint":"https://push.example.net/wp/1","keys":{"p256dh":")") + kP256 +
                          R"(","auth":")" + kAuth + R"("},"tz":"Europe/Berlin","vars":{"name":"Aiko"}})";
  auto w = parse(R"({"op":"send","notifications":[{"platform":"webpush","app":"shop-web","subscriptions":[)" + sub +
                     R"(],"payload":"Hi {{name}}")" + send_at + "}]}",
                 now);
  ASSERT_EQ(w.deferred.size(), 1u);
  EXPECT_TRUE(w.deferred[0].is_endpoint);
  EXPECT_EQ(w.deferred[0].targets, (std::vector<std::string>{"https://push.example.net/wp/1"}));
  auto w2 = parse(w.deferred[0].line(), w.deferred[0].due_ms);
  ASSERT_EQ(w2.batches.size(), 1u);
  EXPECT_EQ(w2.batches[0]->token(0), "https://push.example.net/wp/1");
  EXPECT_NE(w2.batches[0]->recipients[0].vars_off, UINT32_MAX);

  auto f = parse(R"({"op":"send","wait":true,"notifications":[{"platform":"fcm","app":"shop-android","topic":"news",)"
                 R"("message":{"notification":{"title":"t"}})" + send_at + "}]}",
                 now);
  ASSERT_EQ(f.deferred.size(), 1u);
  EXPECT_EQ(f.deferred[0].targets, (std::vector<std::string>{"news"}));
  auto f2 = parse(f.deferred[0].line(), f.deferred[0].due_ms);
  ASSERT_EQ(f2.batches.size(), 1u);
  EXPECT_EQ(f2.batches[0]->token(0), "news");
  EXPECT_EQ(f2.batches[0]->fcm.target, FcmOptions::Target::Topic);
}

TEST_F(ScheduleTest, TimeZonesNeedAZoneCache) {
  SchedulePolicy none;
  auto r = parse(apns("[{\"token\":\"" + kA + "\",\"tz\":\"UTC\"},\"" + kB + "\"]"), k23h, &none);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].token, kA);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(tokens(*r.batches[0]), (std::vector<std::string>{kB}));
}


// Issue 15 item 9: ten quiet-hours groups of one notification share its
// text (a 1 MiB extra field here) instead of copying it per group.
const char* const kTenOffsets[] = {"Atlantic/Cape_Verde", "UTC",          "Europe/London", "Europe/Berlin",
                                   "Europe/Moscow",       "Asia/Dubai",   "Asia/Karachi",  "Asia/Kolkata",
                                   "Asia/Kathmandu",      "Asia/Bangkok"};

std::string ten_zones_request(size_t extra_bytes) {
  std::string toks = "[";
  for (int i = 0; i < 10; ++i)
    toks += std::string(i ? "," : "") + R"({"token":")" + std::string(63, 'a') + std::to_string(i) + R"(","tz":")" +
            kTenOffsets[i] + "\"}";
  toks += "]";
  return R"({"op":"send","notifications":[{"platform":"apns","app":"shop-ios","class":"marketing","tokens":)" + toks +
         R"(,"payload":{"aps":{"alert":"hi"}},"extra":")" + std::string(extra_bytes, 'x') + "\"}]}";
}

TEST_F(ScheduleTest, GroupsShareTheNotificationText) {
  const std::string line = ten_zones_request(1 << 20);
  auto r = parse(line, k23h);
  ASSERT_EQ(r.deferred.size(), 10u);  // ten release instants
  EXPECT_EQ(r.accepted, 10u);
  size_t held = r.deferred[0].text->head.size() + r.deferred[0].text->tail.size();
  for (const Deferred& d : r.deferred) {
    EXPECT_EQ(d.text, r.deferred[0].text);  // one copy for all groups
    held += d.entries.size();
  }
  EXPECT_LE(held, 2 * line.size());  // was 10 x the request
  size_t stored = 0;
  for (const Deferred& d : r.deferred) stored += d.line_size();
  EXPECT_EQ(r.deferred_bytes, stored);
  // Each group's line, when due, sends exactly its recipient.
  for (const Deferred& d : r.deferred) {
    const std::string l = d.line();
    EXPECT_EQ(l.size(), d.line_size());
    auto again = parse(l, d.due_ms);
    ASSERT_EQ(again.batches.size(), 1u);
    EXPECT_EQ(tokens(*again.batches[0]), d.targets);
    EXPECT_TRUE(again.deferred.empty());
  }
}

TEST_F(ScheduleTest, HeldCopiesOfOneRequestAreBounded) {
  // 10 MiB of notification held at ten instants would store 100 MiB: the
  // groups past kMaxDeferredBytes are rejected, the others kept.
  auto r = parse(ten_zones_request(10 << 20), k23h);
  const size_t fit = kMaxDeferredBytes / (10 << 20);
  ASSERT_EQ(r.deferred.size(), fit);
  EXPECT_LE(r.deferred_bytes, kMaxDeferredBytes);
  EXPECT_EQ(r.accepted, fit);
  ASSERT_EQ(r.rejected.size(), 10 - fit);
  for (const Rejection& x : r.rejected) EXPECT_EQ(x.error, "payload_too_large");
}

}  // namespace
}  // namespace pushgw::ingest
