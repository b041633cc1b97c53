#include "top_model.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace pushgw::ctl {
namespace {

std::string stats(uint64_t delivered, uint64_t failed, uint64_t accepted, const char* extra = "") {
  char buf[2048];
  std::snprintf(buf, sizeof buf,
                R"({"id":"s","ok":true,"platforms":{"apns":{"accepted":%llu,"delivered":%llu,"failed":%llu,)"
                R"("invalid":0,"unsubscribed":0,"suppressed":0,"retried":4,"capped":0,"expired":0},)"
                R"("fcm":{"accepted":0,"delivered":0,"failed":0,"invalid":0,"unsubscribed":0,"suppressed":0,"retried":0}},)"
                R"("queue_depth":250,"connections":3,"streams_in_flight":7,"workers":2,"max_queued":1000,)"
                R"("latency_ms":{"e2e":{"count":9,"p50":4.5,"p90":5,"p99":9.25,"p999":10},)"
                R"("provider":{"count":9,"p50":3,"p90":4,"p99":8,"p999":9},)"
                R"("gateway":{"count":9,"p50":1.5,"p90":1.7,"p99":1.25,"p999":2}},)"
                R"("store":{"backlog":12},"apps":[{"platform":"apns","app":"shop-ios","accepted":%llu,)"
                R"("delivered":%llu,"failed":%llu,"invalid":0,"unsubscribed":0,"suppressed":0,"capped":0,"expired":0,)"
                R"("retried":4,"latency_ms":{"provider":{"count":9,"p50":2.5,"p99":7.75},)"
                R"("gateway":{"count":9,"p50":1,"p99":2}}}]%s})",
                static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(delivered),
                static_cast<unsigned long long>(failed), static_cast<unsigned long long>(accepted),
                static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(failed), extra);
  return buf;
}

const std::string* line_with(const std::vector<std::string>& lines, std::string_view needle) {
  auto it = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != l.npos; });
  return it == lines.end() ? nullptr : &*it;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

TEST(TopSample, ParsesStatsWithAppsBreakersAndSuspect) {
  auto s = parse_top_sample(
      stats(90, 10, 100,
            R"(,"breakers":[{"platform":"apns","app":"dead-ios","origin":"127.0.0.1:9","state":"open",)"
            R"("opens":3,"retry_in_ms":1500,"held":2}],"suspect":[{"platform":"fcm","app":"shop-android",)"
            R"("reason":"THIRD_PARTY_AUTH_ERROR","since":"2026-12-06T06:00:00Z"}])"),
      5.0);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->platforms.size(), 2u);
  EXPECT_EQ(s->platforms[0].platform, "apns");
  EXPECT_EQ(s->platforms[0].counts[kDelivered], 90u);
  EXPECT_EQ(finals(s->platforms[0].counts), 100u);
  ASSERT_EQ(s->apps.size(), 1u);
  EXPECT_EQ(s->apps[0].app, "shop-ios");
  EXPECT_DOUBLE_EQ(s->apps[0].provider.p99, 7.75);
  EXPECT_EQ(s->queue_depth, 250u);
  EXPECT_EQ(s->max_queued, 1000u);
  EXPECT_EQ(s->store_backlog, 12u);
  EXPECT_EQ(s->breakers_open, 1u);
  ASSERT_EQ(s->breakers.size(), 1u);
  EXPECT_NE(s->breakers[0].find("apns/dead-ios  127.0.0.1:9  open"), std::string::npos) << s->breakers[0];
  EXPECT_NE(s->breakers[0].find("probe in 1.5s"), std::string::npos);
  EXPECT_TRUE(s->has_suspect);
  ASSERT_EQ(s->suspect.size(), 1u);
  EXPECT_EQ(s->suspect[0], "fcm/shop-android  THIRD_PARTY_AUTH_ERROR  since 2026-12-06T06:00:00Z");
}

TEST(TopSample, OlderDaemonsWithoutTheNewFieldsStillParse) {
  auto s = parse_top_sample(R"({"ok":true,"platforms":{"apns":{"accepted":1,"delivered":1}},"queue_depth":0})", 1);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->apps.empty());
  EXPECT_FALSE(s->has_suspect);
  EXPECT_FALSE(s->has_store);
  const auto lines = render_top({*s}, TopHeader{"/run/pushgw/pushgw.sock", "2026-12-06 06:00:00 UTC", 1});
  ASSERT_NE(line_with(lines, "suspect apps: not reported"), nullptr);
  EXPECT_FALSE(parse_top_sample("[1]", 0).ok());
}

TEST(TopRender, RatesOverTheLastIntervalAndMixOverTheWindow) {
  std::deque<TopSample> h;
  h.push_back(parse_top_sample(stats(0, 0, 0), 0).value());
  h.push_back(parse_top_sample(stats(100, 0, 100), 8).value());
  h.push_back(parse_top_sample(stats(180, 20, 220), 10).value());  // last 2 s: 80 delivered + 20 failed
  const auto lines = render_top(h, TopHeader{"/s.sock", "2026-12-06 06:45:12 UTC", 1});
  ASSERT_GE(lines.size(), 8u);
  EXPECT_EQ(lines[0], "pushgwctl top - /s.sock - 2026-12-06 06:45:12 UTC - every 1.0s, mix over 10s - q quits");
  EXPECT_NE(lines[1].find("queue 250 of 1000 (25.0%)   connections 3   streams in flight 7   workers 2"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("e2e 4.50/9.25"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("store backlog 12"), std::string::npos) << lines[3];
  const std::string* header = line_with(lines, "PLATFORM");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(words(*header), (std::vector<std::string>{"PLATFORM", "APP", "IN/s", "OUT/s", "TOTAL", "DELIV%", "FAIL%",
                                                      "INVAL%", "UNSUB%", "SUPPR%", "OTHER%", "RETRY/s", "P50ms",
                                                      "P99ms"}));
  const std::string* app = line_with(lines, "shop-ios");
  ASSERT_NE(app, nullptr);
  // IN/s 120/2 s, OUT/s 100/2 s, 200 final in all, mix since the oldest sample: 180 of 200 delivered.
  EXPECT_EQ(words(*app), (std::vector<std::string>{"apns", "shop-ios", "60.0", "50.0", "200", "90.0%", "10.0%",
                                                   "0.0%", "0.0%", "0.0%", "0.0%", "0", "2.50", "7.75"}));
  const std::string* fcm = line_with(lines, "fcm");
  ASSERT_NE(fcm, nullptr);
  EXPECT_EQ(words(*fcm)[5], "-") << "no outcome in the window: no mix";
  EXPECT_NE(line_with(lines, "suspect apps: not reported"), nullptr);
}

TEST(TopRender, FirstFrameHasNoRatesYet) {
  std::deque<TopSample> h{parse_top_sample(stats(5, 0, 5, R"(,"suspect":[])"), 3).value()};
  const auto lines = render_top(h, TopHeader{"/s.sock", "now", 2});
  const std::string* app = line_with(lines, "shop-ios");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(words(*app)[2], "0");
  EXPECT_EQ(words(*app)[3], "0");
  EXPECT_NE(line_with(lines, "suspect apps: none"), nullptr);
}

}  // namespace
}  // namespace pushgw::ctl
