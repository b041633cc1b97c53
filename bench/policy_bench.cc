// Campaign policy on the sender hot path: what admit_policy() adds per
// recipient (dispatch/sender.cc).
//
//   BM_PolicyNoCaps        a marketing recipient when no cap is configured:
//                          the early return (what every send pays).
//   BM_PolicyCapCheck/N    caps configured (3/hour, 10/day): key_hash of
//                          (platform, app, 64-hex token) + CapTable::admit on
//                          a table of N recipients (10k: cache-resident; 1M:
//                          cache misses dominate) with history. Run with 1
//                          and 2 threads (senders share the sharded table).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dispatch/cap_table.h"
#include "pushgw/platform.h"
#include "store/key_hash.h"

namespace {

using pushgw::Platform;
using pushgw::dispatch::CapLimits;
using pushgw::dispatch::CapTable;

constexpr int64_t kNow = 1'800'000'000'000;
constexpr size_t kTokens = 1'000'000;

std::vector<std::string>& tokens() {
  static std::vector<std::string> t = [] {
    std::vector<std::string> v;
    v.reserve(kTokens);
    char buf[80];
    for (size_t i = 0; i < kTokens; ++i) {
      std::snprintf(buf, sizeof buf, "%016zx%016zx%016zx%016zx", static_cast<size_t>(i * 0x9E3779B97F4A7C15ULL), i, ~i, i * 31);
      v.emplace_back(buf, 64);
    }
    return v;
  }();
  return t;
}

// A table holding n recipients, each with one marketing send 5 h ago.
CapTable& loaded_table(size_t n) {
  static std::unique_ptr<CapTable> t;
  static size_t loaded = 0;
  if (loaded != n) {
    t = std::make_unique<CapTable>(CapLimits{3, 10});
    const auto& tok = tokens();
    for (size_t i = 0; i < n; ++i)
      t->load(pushgw::store::key_hash(Platform::Apns, "shop-ios", tok[i]), kNow - 5 * 3'600'000);
    loaded = n;
  }
  return *t;
}

void BM_PolicyNoCaps(benchmark::State& state) {
  CapTable caps(CapLimits{});
  const auto& tok = tokens();
  size_t i = 0;
  const bool marketing = true;
  for (auto _ : state) {
    bool admitted = !marketing || !caps.limits().enabled() ||
                    caps.admit(pushgw::store::key_hash(Platform::Apns, "shop-ios", tok[i]), kNow);
    benchmark::DoNotOptimize(admitted);
    i = (i + 1) % kTokens;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyNoCaps);

void BM_PolicyCapCheck(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  // Thread 0 sets up; the others read caps_ptr only inside the loop (the
  // loop's start is a barrier for all threads).
  static CapTable* caps_ptr = nullptr;
  if (state.thread_index() == 0) caps_ptr = &loaded_table(n);
  const auto& tok = tokens();
  // Each thread walks its own slice (senders see different recipients).
  size_t i = static_cast<size_t>(state.thread_index()) * (n / 2);
  int64_t now = kNow;
  for (auto _ : state) {
    bool admitted = caps_ptr->admit(pushgw::store::key_hash(Platform::Apns, "shop-ios", tok[i]), now);
    benchmark::DoNotOptimize(admitted);
    if (++i == n) {
      i = 0;
      now += 3'600'001;  // next pass an hour later: the hourly cap does not fill up
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyCapCheck)->Arg(10'000)->Arg(1'000'000)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
