// The stats answer keeps the contract's keys, order and formats whatever
// module each figure comes from; STATUS= sums the platforms.
#include "daemon/stats.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace pushgw::daemon {
namespace {

struct FakeSource : ingest::Source {
  void on_answer(uint64_t, ingest::Answer, std::string) override {}
  void on_journaled(uint64_t, bool) override {}
  void on_room() override {}
  void append_stats(std::string& out) const override { out += "\"redis\":{\"read\":3}"; }
  bool wants_results() const override { return false; }
};

StatsView sample() {
  StatsView v;
  v.accepted = {10, 20, 30};
  v.queue_depth = 4;
  v.fleet.workers = 2;
  v.fleet.connections = 5;
  v.fleet.streams_in_flight = 6;
  v.fleet.webpush_shed = 9;
  auto& apns = v.fleet.platform[static_cast<int>(Platform::Apns)];
  apns = {7, 1, 2, 3, 4, 5, 6, 8};
  return v;
}

constexpr const char* kZeroLatency = "{\"count\":0,\"p50\":0.000,\"p90\":0.000,\"p99\":0.000,\"p999\":0.000}";

TEST(StatsJson, KeepsTheContractsKeysInOrder) {
  const std::string lat = kZeroLatency;
  const std::string want =
      "{\"id\":\"s1\",\"ok\":true,\"platforms\":{"
      "\"apns\":{\"accepted\":10,\"delivered\":7,\"failed\":1,\"invalid\":2,\"unsubscribed\":3,\"suppressed\":4,"
      "\"retried\":5,\"capped\":6,\"expired\":8},"
      "\"fcm\":{\"accepted\":20,\"delivered\":0,\"failed\":0,\"invalid\":0,\"unsubscribed\":0,\"suppressed\":0,"
      "\"retried\":0,\"capped\":0,\"expired\":0},"
      "\"webpush\":{\"accepted\":30,\"delivered\":0,\"failed\":0,\"invalid\":0,\"unsubscribed\":0,\"suppressed\":0,"
      "\"retried\":0,\"capped\":0,\"expired\":0}},"
      "\"queue_depth\":4,\"connections\":5,\"streams_in_flight\":6,\"webpush_shed\":9,"
      "\"latency_ms\":{\"e2e\":" + lat + ",\"provider\":" + lat + ",\"gateway\":" + lat + ",\"queue\":" + lat +
      ",\"build\":" + lat + ",\"stream_wait\":" + lat + "},\"workers\":2}";
  EXPECT_EQ(stats_json("\"s1\"", sample()), want);
}

TEST(StatsJson, AddsSpoolStoreAndSourceWhenPresent) {
  StatsView v = sample();
  spool::SpoolStats sp;
  sp.requests = 1;
  sp.done_recipients = 2;
  sp.live_requests = 3;
  sp.replayed = 4;
  sp.commits = 5;
  sp.syncs = 6;
  sp.segments = 7;
  sp.failed = true;
  v.spool = sp;
  store::StoreStats st;
  st.tokens = 11;
  st.invalid = 12;
  st.unsubscribed = 13;
  st.events = 14;
  st.backlog = 15;
  st.suppressed_entries = 16;
  st.suppression_bytes = 17;
  st.send_flushes = 18;
  st.pending_send_tokens = 19;
  st.send_log_tokens = 20;
  v.store = st;
  FakeSource src;
  v.source = &src;
  const std::string out = stats_json("null", v);
  const std::string tail =
      ",\"workers\":2,\"spool\":{\"requests\":1,\"done\":2,\"live_requests\":3,\"replayed\":4,\"commits\":5,"
      "\"syncs\":6,\"segments\":7,\"failed\":true},\"store\":{\"tokens\":11,\"invalid\":12,\"unsubscribed\":13,"
      "\"events\":14,\"backlog\":15,\"suppressed_entries\":16,\"suppression_bytes\":17,\"send_flushes\":18,"
      "\"pending_send_tokens\":19,\"send_log_tokens\":20,\"available\":true},"
      "\"redis\":{\"read\":3}}";
  ASSERT_GE(out.size(), tail.size());
  EXPECT_EQ(out.substr(out.size() - tail.size()), tail);
  EXPECT_EQ(out.rfind("{\"id\":null,\"ok\":true,\"platforms\":{", 0), 0u);
}

// The summaries are written without printf: the same text as %.3f of each
// quantile, which quantiles_ms finds in one walk as quantile_ms does in four.
TEST(StatsJson, WritesLatencyAsPrintfDid) {
  StatsView v = sample();
  dispatch::LatencySummary& l = v.fleet.stream_wait;
  const std::pair<int, uint64_t> filled[] = {{0, 3}, {9, 1000}, {40, 77}, {101, 5}, {200, 1}, {255, 2}};
  for (const auto& [bucket, n] : filled) {
    l.counts[static_cast<size_t>(bucket)] = n;
    l.total += n;
  }
  const double qs[] = {0.0, 0.5, 0.9, 0.99, 0.999, 1.0};
  double ms[6];
  l.quantiles_ms(qs, ms, 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ms[i], l.quantile_ms(qs[i])) << qs[i];
  char want[160];
  snprintf(want, sizeof want, "\"stream_wait\":{\"count\":%llu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f}",
           static_cast<unsigned long long>(l.total), l.quantile_ms(0.5), l.quantile_ms(0.9), l.quantile_ms(0.99),
           l.quantile_ms(0.999));
  EXPECT_NE(stats_json("1", v).find(want), std::string::npos) << want;
  EXPECT_NE(std::string(want).find("\"p50\":0.010,\"p90\":0.010,\"p99\":0.144,\"p999\":150994.944}"), std::string::npos)
      << want;
}

TEST(StatusLine, SumsEveryPlatform) {
  StatsView v = sample();
  v.fleet.platform[static_cast<int>(Platform::Fcm)].delivered = 100;
  EXPECT_EQ(status_line(v), "accepted 60, delivered 107, failed 1, queued 4, connections 5");
}

TEST(StatusLine, NamesAStoreOutage) {
  StatsView v = sample();
  store::StoreStats st;
  st.failing_since_ms = 1'700'000'000'000;
  v.store = st;
  EXPECT_EQ(status_line(v),
            "accepted 60, delivered 7, failed 1, queued 4, connections 5, store unavailable: refusing sends");
  v.store->failing_since_ms = 0;
  EXPECT_EQ(status_line(v), "accepted 60, delivered 7, failed 1, queued 4, connections 5");
}

}  // namespace
}  // namespace pushgw::daemon
