// Metrics hot path and scrape cost.
//   BM_Scrape/10000: render() of a registry with 10k counter series written by
//   4 shards (each series summed over 2 of them) plus latency histograms —
//   the "/metrics scrape time with 10k series".
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "metrics/gateway_metrics.h"
#include "metrics/registry.h"

namespace {

using namespace pushgw::metrics;

struct Populated {
  Registry registry;
  std::unique_ptr<GatewayFamilies> families;
  std::vector<std::unique_ptr<Shard>> shards;

  explicit Populated(int series) {
    families = std::make_unique<GatewayFamilies>(registry);
    for (int i = 0; i < 4; ++i) shards.push_back(std::make_unique<Shard>(registry));
    const char* platforms[] = {"apns", "fcm", "webpush"};
    const char* outcomes[] = {"delivered", "invalid", "unsubscribed", "suppressed", "failed"};
    for (int i = 0; i < series; ++i) {
      const std::string app = "app-" + std::to_string(i / 75 % 200);
      const std::string reason = "Reason" + std::to_string(i % 15);
      const char* platform = platforms[i % 3];
      const char* outcome = outcomes[i / 15 % 5];
      for (int k = 0; k < 2; ++k) {
        shards[(i + k) % 4]->counter(families->notifications, {platform, app, outcome, reason})->inc(i + 1);
      }
    }
    for (int a = 0; a < 50; ++a) {  // 150 histogram series: per platform x app
      for (const char* p : platforms) {
        const std::string app = "app-" + std::to_string(a);
        Histogram* h = shards[a % 4]->histogram(families->provider_latency, {p, app});
        for (int k = 0; k < 100; ++k) h->observe(0.0001 * k * k);
      }
    }
    register_gateway_gauges(registry, GatewayGauges{[] { return 10.0; }, [] { return 4.0; }, [] { return 100.0; },
                                                    [] { return 0.0; }});
  }
};

void BM_Scrape(benchmark::State& state) {
  Populated p(static_cast<int>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    p.registry.render(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
  state.counters["series"] = static_cast<double>(p.families->notifications.series_count());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_Scrape)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// render() into a fresh string each time, as the HTTP handler does.
void BM_ScrapeFreshString(benchmark::State& state) {
  Populated p(10000);
  for (auto _ : state) {
    std::string out = p.registry.render();
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ScrapeFreshString)->Unit(benchmark::kMillisecond);

void BM_CounterInc(benchmark::State& state) {
  Registry r;
  auto& c = r.counter("pushgw_b_total", "B.", {"platform"});
  Shard s(r);
  Counter* cell = s.counter(c, {"apns"});
  for (auto _ : state) cell->inc();
  benchmark::DoNotOptimize(cell->value());
}
BENCHMARK(BM_CounterInc);

// A label set the shard has seen: no lock, no allocation.
void BM_ShardLookupHit(benchmark::State& state) {
  Registry r;
  GatewayFamilies f(r);
  Shard s(r);
  const std::string app = "shop-ios";
  s.counter(f.notifications, {"apns", app, "failed", "BadDeviceToken"});
  for (auto _ : state) {
    Counter* c = s.counter(f.notifications, {"apns", app, "failed", "BadDeviceToken"});
    c->inc();
  }
}
BENCHMARK(BM_ShardLookupHit);

void BM_HistogramObserve(benchmark::State& state) {
  Registry r;
  auto& h = r.histogram("pushgw_b_seconds", "B.", {});
  Shard s(r);
  Histogram* cell = s.histogram(h, {});
  double v = 0;
  for (auto _ : state) {
    cell->observe(v);
    v = v > 20 ? 0 : v + 0.0137;
  }
}
BENCHMARK(BM_HistogramObserve);

}  // namespace
