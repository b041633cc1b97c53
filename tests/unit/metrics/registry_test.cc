#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "metrics/gateway_metrics.h"

namespace pushgw::metrics {
namespace {

// Value of the sample whose `name{labels}` is series, or -1 when absent.
int64_t sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + series.size() + 2));
}

TEST(Registry, RendersExactTextFormat) {
  Registry r;
  auto& c = r.counter("pushgw_test_total", "Help with \\ backslash\nand newline", {"platform", "reason"});
  auto& h = r.histogram("pushgw_test_seconds", "Latency.", {"platform"}, std::vector<double>{0.25, 1});
  r.gauge_callback("pushgw_test_depth", "Depth.", [] { return 7.5; });
  r.gauge_callback("pushgw_test_conns", "Per platform.", {"platform"}, [](SampleSink& s) {
    s.add({"apns"}, 2);
    s.add({"web\"push"}, 0);
  });
  auto& plain = r.counter("pushgw_test_plain_total", "No labels.");
  Shard s(r);
  s.counter(c, {"apns", "Bad \"quoted\" \\path\nnl"})->inc(3);
  s.counter(c, {"fcm", ""})->inc();
  Histogram* apns = s.histogram(h, {"apns"});
  for (double v : {0.125, 0.25, 0.5, 4.0}) apns->observe(v);  // 0.25 lands in le="0.25": bounds are inclusive
  (void)plain;

  EXPECT_EQ(r.render(),
            "# HELP pushgw_test_total Help with \\\\ backslash\\nand newline\n"
            "# TYPE pushgw_test_total counter\n"
            "pushgw_test_total{platform=\"apns\",reason=\"Bad \\\"quoted\\\" \\\\path\\nnl\"} 3\n"
            "pushgw_test_total{platform=\"fcm\",reason=\"\"} 1\n"
            "# HELP pushgw_test_seconds Latency.\n"
            "# TYPE pushgw_test_seconds histogram\n"
            "pushgw_test_seconds_bucket{platform=\"apns\",le=\"0.25\"} 2\n"
            "pushgw_test_seconds_bucket{platform=\"apns\",le=\"1\"} 3\n"
            "pushgw_test_seconds_bucket{platform=\"apns\",le=\"+Inf\"} 4\n"
            "pushgw_test_seconds_sum{platform=\"apns\"} 4.875\n"
            "pushgw_test_seconds_count{platform=\"apns\"} 4\n"
            "# HELP pushgw_test_depth Depth.\n"
            "# TYPE pushgw_test_depth gauge\n"
            "pushgw_test_depth 7.5\n"
            "# HELP pushgw_test_conns Per platform.\n"
            "# TYPE pushgw_test_conns gauge\n"
            "pushgw_test_conns{platform=\"apns\"} 2\n"
            "pushgw_test_conns{platform=\"web\\\"push\"} 0\n"
            "# HELP pushgw_test_plain_total No labels.\n"
            "# TYPE pushgw_test_plain_total counter\n"
            "pushgw_test_plain_total 0\n");
}

TEST(Registry, UnlabeledHistogramHasNoBraces) {
  Registry r;
  auto& h = r.histogram("pushgw_x_seconds", "X.", {}, std::vector<double>{1});
  Shard s(r);
  s.histogram(h, {})->observe(2);
  EXPECT_EQ(r.render(),
            "# HELP pushgw_x_seconds X.\n# TYPE pushgw_x_seconds histogram\n"
            "pushgw_x_seconds_bucket{le=\"1\"} 0\npushgw_x_seconds_bucket{le=\"+Inf\"} 1\n"
            "pushgw_x_seconds_sum 2\npushgw_x_seconds_count 1\n");
}

// Every value lands in the first bucket whose bound is >= it (bounds are
// inclusive), +Inf past the last: each bound, just below and above it, and
// the ends, for bound lists of every length up to the latency buckets' 17.
TEST(Registry, HistogramPutsEachValueInTheFirstBucketAtOrAboveIt) {
  const std::vector<double> all(std::begin(kLatencyBuckets), std::end(kLatencyBuckets));
  for (size_t n = 0; n <= all.size(); ++n) {
    const std::vector<double> bounds(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<double> values = {-1.0, 0.0, 1e-9, 1e9, std::numeric_limits<double>::infinity()};
    for (double b : bounds)
      for (double v : {b, std::nextafter(b, 0.0), std::nextafter(b, 1e300), b * 0.5, b * 1.5}) values.push_back(v);
    for (double v : values) {
      Histogram h(bounds);
      h.observe(v);
      size_t want = 0;
      while (want < bounds.size() && bounds[want] < v) ++want;
      for (size_t i = 0; i < h.buckets(); ++i) EXPECT_EQ(h.bucket(i), i == want ? 1u : 0u) << "n=" << n << " v=" << v << " bucket " << i;
    }
  }
}

TEST(Registry, ShardReturnsStablePointerPerLabelSet) {
  Registry r;
  auto& c = r.counter("pushgw_a_total", "A.", {"app"});
  Shard s1(r), s2(r);
  Counter* a = s1.counter(c, {"x"});
  EXPECT_EQ(s1.counter(c, {"x"}), a);
  EXPECT_NE(s1.counter(c, {"y"}), a);
  EXPECT_NE(s2.counter(c, {"x"}), a);  // each thread writes its own cell
  a->inc(2);
  s2.counter(c, {"x"})->inc(5);
  EXPECT_NE(r.render().find("pushgw_a_total{app=\"x\"} 7\n"), std::string::npos);
}

TEST(Registry, ReRegisteringSameShapeReturnsSameFamily) {
  Registry r;
  auto& a = r.counter("pushgw_a_total", "A.", {"app"});
  auto& b = r.counter("pushgw_a_total", "A.", {"app"});
  EXPECT_EQ(&a, &b);
}

TEST(RegistryDeathTest, ConflictingShapeAborts) {
  Registry r;
  r.counter("pushgw_a_total", "A.", {"app"});
  EXPECT_DEATH(r.counter("pushgw_a_total", "A.", {"platform"}), "registered twice");
  EXPECT_DEATH(r.counter("bad-name", "A."), "invalid metric name");
  EXPECT_DEATH(r.counter("pushgw_b_total", "B.", {"le"}), "invalid label name");
}

TEST(Registry, DestroyedShardKeepsItsCounts) {
  Registry r;
  auto& c = r.counter("pushgw_a_total", "A.", {"app"});
  auto& h = r.histogram("pushgw_h_seconds", "H.", {"app"}, std::vector<double>{1});
  {
    Shard s(r);
    s.counter(c, {"x"})->inc(5);
    s.histogram(h, {"x"})->observe(0.5);
  }
  Shard s(r);
  s.counter(c, {"x"})->inc(2);
  s.histogram(h, {"x"})->observe(3);
  const std::string text = r.render();
  EXPECT_NE(text.find("pushgw_a_total{app=\"x\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pushgw_h_seconds_bucket{app=\"x\",le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pushgw_h_seconds_count{app=\"x\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pushgw_h_seconds_sum{app=\"x\"} 3.5\n"), std::string::npos) << text;
}

TEST(Registry, ConcurrentWritersSumAtScrape) {
  Registry r;
  auto& c = r.counter("pushgw_n_total", "N.", {"platform", "outcome"});
  auto& h = r.histogram("pushgw_l_seconds", "L.", {"platform"});
  constexpr int kIters = 200000;
  std::atomic<bool> go{false};
  auto writer = [&](const char* platform) {
    Shard s(r);
    Counter* ok = s.counter(c, {platform, "delivered"});
    Counter* shared = s.counter(c, {"all", "delivered"});
    Histogram* lat = s.histogram(h, {"all"});
    while (!go.load()) std::this_thread::yield();
    for (int i = 0; i < kIters; ++i) {
      ok->inc();
      shared->inc();
      lat->observe(0.001 * (i % 100));
      if (i % 10000 == 0) s.counter(c, {platform, "failed"})->inc();  // new label set mid-run
    }
  };
  std::thread t1(writer, "apns"), t2(writer, "fcm");
  go.store(true);
  // Scrape while they write: totals only grow.
  uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    const int64_t v = sample(r.render(), "pushgw_n_total{platform=\"all\",outcome=\"delivered\"}");
    if (v < 0) continue;  // no writer got that far yet
    EXPECT_GE(static_cast<uint64_t>(v), last);
    last = static_cast<uint64_t>(v);
  }
  t1.join();
  t2.join();
  const std::string text = r.render();
  EXPECT_NE(text.find("pushgw_n_total{platform=\"all\",outcome=\"delivered\"} 400000\n"), std::string::npos);
  EXPECT_NE(text.find("pushgw_n_total{platform=\"apns\",outcome=\"delivered\"} 200000\n"), std::string::npos);
  EXPECT_NE(text.find("pushgw_n_total{platform=\"fcm\",outcome=\"failed\"} 20\n"), std::string::npos);
  EXPECT_NE(text.find("pushgw_l_seconds_count{platform=\"all\"} 400000\n"), std::string::npos);
  EXPECT_NE(text.find("pushgw_l_seconds_bucket{platform=\"all\",le=\"+Inf\"} 400000\n"), std::string::npos);
}

TEST(Registry, LabelSetCapOverflowsIntoOther) {
  Registry r;
  auto& c = r.counter("pushgw_f_total", "F.", {"app", "reason"}, 3);
  Shard s(r);
  s.counter(c, {"a", "r1"})->inc();
  s.counter(c, {"a", "other"})->inc();
  s.counter(c, {"b", "r1"})->inc();  // the family is full now
  Counter* redirected = s.counter(c, {"a", "r9"});
  EXPECT_EQ(redirected, s.counter(c, {"a", "other"}));  // same app, reason "other"
  redirected->inc();
  for (int i = 0; i < 1000; ++i) s.counter(c, {"c", "r" + std::to_string(i)})->inc();  // no "c" series: catch-all
  EXPECT_EQ(c.series_count(), 4u);  // the cap plus the one catch-all series
  EXPECT_EQ(c.overflowed(), 1001u);
  const std::string text = r.render();
  EXPECT_NE(text.find("pushgw_f_total{app=\"a\",reason=\"other\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pushgw_f_total{app=\"other\",reason=\"other\"} 1000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pushgw_metrics_overflow_total{metric=\"pushgw_f_total\"} 1001\n"), std::string::npos)
      << text;
}

TEST(Registry, SanitizedLabelValuesShareOneSeries) {
  Registry r;
  auto& c = r.counter("pushgw_s_total", "S.", {"reason"});
  Shard s(r);
  const std::string long1 = std::string(200, 'x') + "tail1";
  const std::string long2 = std::string(200, 'x') + "tail2";
  EXPECT_EQ(s.counter(c, {long1}), s.counter(c, {long2}));  // both cut to the same 128 bytes
  EXPECT_EQ(s.counter(c, {"bad\xff"}), s.counter(c, {"bad?"}));
  EXPECT_EQ(c.series_count(), 2u);
}

TEST(Registry, GatewayFamiliesRegisterOnce) {
  Registry r;
  GatewayFamilies a(r);
  GatewayFamilies b(r);
  EXPECT_EQ(&a.notifications, &b.notifications);
  EXPECT_EQ(&a.gateway_latency, &b.gateway_latency);
}

// collect() gives in-process readers (the stats op) the same totals a scrape
// shows: summed over live and destroyed shards, with decoded label values.
TEST(Registry, CollectSumsEveryShardWithLabelValues) {
  Registry r;
  auto& c = r.counter("pushgw_c_total", "C.", {"platform", "app"});
  auto& h = r.histogram("pushgw_h_seconds", "H.", {"app"}, std::vector<double>{0.1, 1});
  Shard live(r);
  live.counter(c, {"apns", "shop-ios"})->inc(3);
  live.histogram(h, {"shop-ios"})->observe(0.05);
  {
    Shard gone(r);
    gone.counter(c, {"apns", "shop-ios"})->inc(4);
    gone.counter(c, {"fcm", "shop-android"})->inc(1);
    gone.histogram(h, {"shop-ios"})->observe(5);
  }
  std::map<std::string, uint64_t> totals;
  c.collect([&](const std::vector<std::string>& v, uint64_t n) {
    ASSERT_EQ(v.size(), 2u);
    totals[v[0] + "/" + v[1]] = n;
  });
  EXPECT_EQ(totals, (std::map<std::string, uint64_t>{{"apns/shop-ios", 7}, {"fcm/shop-android", 1}}));
  int seen = 0;
  h.collect([&](const std::vector<std::string>& v, std::span<const uint64_t> b, double sum) {
    ++seen;
    EXPECT_EQ(v, std::vector<std::string>{"shop-ios"});
    EXPECT_EQ(std::vector<uint64_t>(b.begin(), b.end()), (std::vector<uint64_t>{1, 0, 1}));  // per bucket, +Inf last
    EXPECT_DOUBLE_EQ(sum, 5.05);
  });
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(sample(r.render(), "pushgw_c_total{platform=\"apns\",app=\"shop-ios\"}"), 7);
}

TEST(Registry, GatewayGaugesRegisterOnlyWhatIsSet) {
  Registry r;
  GatewayGauges g;
  g.max_queued = [] { return 1000.0; };
  g.store_committed = [] { return 12.0; };
  g.breakers_open = [](SampleSink& s) { s.add({"apns", "shop-ios"}, 1); };
  register_gateway_gauges(r, std::move(g));
  register_watchdog_gauge(r, [] { return 2.0; });
  const std::string text = r.render();
  EXPECT_EQ(sample(text, "pushgw_max_queued"), 1000);
  EXPECT_EQ(sample(text, "pushgw_store_committed_total"), 12);
  EXPECT_NE(text.find("# TYPE pushgw_store_committed_total counter\n"), std::string::npos);
  EXPECT_EQ(sample(text, "pushgw_breakers_open{platform=\"apns\",app=\"shop-ios\"}"), 1);
  EXPECT_EQ(sample(text, "pushgw_watchdog_stalled_loops"), 2);
  EXPECT_EQ(text.find("pushgw_queue_depth"), std::string::npos);
  EXPECT_EQ(text.find("pushgw_spool_"), std::string::npos);
}

}  // namespace
}  // namespace pushgw::metrics
