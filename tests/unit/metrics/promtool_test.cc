// The daemon's real metric families, filled the way a busy gateway fills
// them, must pass `promtool check metrics` (parse + lint). Skipped when
// promtool (Debian package "prometheus") is not installed.
#include <gtest/gtest.h>

#include "metrics/gateway_metrics.h"
#include "metrics/registry.h"
#include "promtool.h"

namespace pushgw::metrics {
namespace {

void fill_realistic(Registry& r, Shard& s) {
  GatewayFamilies f(r);
  register_gateway_gauges(r, GatewayGauges{[] { return 1234.0; }, [] { return 8.0; }, [] { return 97.0; },
                                          [] { return 0.0; }});
  register_build_info(r, "0.1.0");
  const char* reasons[] = {"", "BadDeviceToken", "Unregistered", "TooManyRequests", "tls_verify_failed",
                           "weird \"quoted\"\\reason\nwith newline", "caf\xc3\xa9", "bad\xff utf8"};
  for (const char* platform : {"apns", "fcm", "webpush"}) {
    for (const char* app : {"shop-ios", "shop.android", "news_web"}) {
      s.counter(f.accepted, {platform, app})->inc(1000);
      s.counter(f.notifications, {platform, app, "delivered", ""})->inc(900);
      for (const char* reason : reasons) s.counter(f.notifications, {platform, app, "failed", reason})->inc();
      s.counter(f.retries, {platform, app, "503"})->inc(7);
      s.counter(f.suppressions, {platform, app, "unsubscribed"})->inc(3);
      s.counter(f.reconnects, {platform, app})->inc(1);
      Histogram* p = s.histogram(f.provider_latency, {platform, app});
      Histogram* g = s.histogram(f.gateway_latency, {platform, app});
      for (int i = 0; i < 1000; ++i) {
        p->observe(0.00005 * i);
        g->observe(0.0000123 * i);
      }
    }
  }
  s.counter(f.rejected, {"apns", "bad_token"})->inc(2);
  auto& capped = r.counter("pushgw_capped_total", "A family that overflows.", {"reason"}, 2);
  for (int i = 0; i < 10; ++i) s.counter(capped, {"r" + std::to_string(i)})->inc();
}

TEST(Promtool, RealisticRegistryPassesCheckMetrics) {
  const std::string promtool = testing::find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  Registry r;
  Shard s(r);
  fill_realistic(r, s);
  const std::string text = r.render();
  ASSERT_NE(text.find("pushgw_metrics_overflow_total"), std::string::npos);
  const auto result = testing::promtool_check(promtool, text);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n---\n" << text;
  EXPECT_EQ(result.output, "");
}

TEST(Promtool, CatchesABrokenExposition) {
  // Proves the check above can fail: a counter without _total is a lint error.
  const std::string promtool = testing::find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed";
  Registry r;
  r.counter("pushgw_bad", "Missing suffix.");
  EXPECT_NE(testing::promtool_check(promtool, r.render()).exit_code, 0);
}

}  // namespace
}  // namespace pushgw::metrics
