// Campaign policy on the hot path, per recipient: the quiet-hours check
// ingest makes for a marketing recipient (ingest/send_schedule.cc, place())
// and the frequency-cap check the sender makes (dispatch/sender.cc,
// admit_policy()).
//
//   BM_PolicyNoCaps        a marketing recipient when no cap is configured:
//                          the early return (what every send pays).
//   BM_PolicyCapCheck/N    caps configured (3/hour, 10/day): key_hash of
//                          (platform, app, 64-hex token) + CapTable::admit on
//                          a table of N recipients (10k: cache-resident; 1M:
//                          cache misses dominate) with history. Run with 1
//                          and 2 threads (senders share the sharded table).
//   BM_QuietHours/Z        quiet hours "22:00-08:00": the recipient's zone
//                          (Z = 0: the default zone; Z > 0: the recipient
//                          names one of Z zones, looked up by name in the
//                          gateway's ZoneCache) and QuietWindow::release_at
//                          at an instant that advances 1 ms per 1000
//                          recipients (ingest at 1M/s), half of the zones
//                          inside the window. No allocation, no lock.
//   BM_PolicyPerRecipient/C  both together as one recipient pays them:
//                          quiet-hours check (recipients with tz among 8
//                          zones) + cap check with (C = 1, 1M recipients) or
//                          without (C = 0) caps configured.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dispatch/cap_table.h"
#include "pushgw/platform.h"
#include "store/key_hash.h"
#include "tz/quiet_window.h"
#include "tz/zone_cache.h"

namespace {

using pushgw::Platform;
using pushgw::dispatch::CapLimits;
using pushgw::dispatch::CapTable;
namespace tz = pushgw::tz;

constexpr int64_t kNow = 1'800'000'000'000;
constexpr pushgw::store::HashKey kKey{1, 2};  // any installation secret
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
      t->load(pushgw::store::key_hash(kKey, Platform::Apns, "shop-ios", tok[i]), kNow - 5 * 3'600'000);
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
                    caps.admit(pushgw::store::key_hash(kKey, Platform::Apns, "shop-ios", tok[i]), kNow);
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
    bool admitted = caps_ptr->admit(pushgw::store::key_hash(kKey, Platform::Apns, "shop-ios", tok[i]), now);
    benchmark::DoNotOptimize(admitted);
    if (++i == n) {
      i = 0;
      now += 3'600'001;  // next pass an hour later: the hourly cap does not fill up
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyCapCheck)->Arg(10'000)->Arg(1'000'000)->Threads(1)->Threads(2)->UseRealTime();

// Zones recipients name: at 23:00Z (kNight) the first four are inside
// 22:00-08:00 local time, the last four outside.
constexpr std::string_view kZones[] = {"UTC",          "Europe/Berlin",    "Asia/Kolkata",     "Europe/London",
                                       "America/New_York", "America/Los_Angeles", "America/Sao_Paulo",
                                       "America/Chicago"};
constexpr int64_t kNight = 1'781'564'400'000;  // 2026-06-15T23:00:00Z

// The quiet-hours decision for recipient i: returns the release time (0 =
// send now), as place() computes it.
struct QuietCheck {
  tz::ZoneCache zones;
  const tz::Zone* default_zone = zones.find("Europe/Berlin");
  tz::QuietWindow quiet = *tz::QuietWindow::parse("22:00-08:00");
  int64_t check(size_t i, int named_zones, int64_t now_ms) {
    const tz::Zone* z = named_zones == 0 ? default_zone : zones.find(kZones[i % static_cast<size_t>(named_zones)]);
    return quiet.release_at(*z, now_ms);
  }
};

void BM_QuietHours(benchmark::State& state) {
  const int named = static_cast<int>(state.range(0));
  QuietCheck q;
  int64_t now = kNight;
  size_t i = 0, held = 0;
  for (auto _ : state) {
    const int64_t due = q.check(i, named, now);
    held += due != 0;
    benchmark::DoNotOptimize(due);
    if (++i % 1000 == 0) ++now;
  }
  state.counters["held"] = benchmark::Counter(static_cast<double>(held) / static_cast<double>(i));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuietHours)->Arg(0)->Arg(1)->Arg(8);

void BM_PolicyPerRecipient(benchmark::State& state) {
  QuietCheck q;
  CapTable none{CapLimits{}};
  CapTable& caps = state.range(0) != 0 ? loaded_table(kTokens) : none;
  const auto& tok = tokens();
  int64_t now = kNight;      // the quiet-hours check's clock: ingest at 1M/s
  int64_t cap_now = kNow;    // the caps' clock: an hour per pass, so the hourly cap never fills
  size_t i = 0, k = 0;
  for (auto _ : state) {
    const int64_t due = q.check(i, 8, now);
    bool admitted = false;
    if (due == 0)  // held recipients reach the sender only when released
      admitted = !caps.limits().enabled() ||
                 caps.admit(pushgw::store::key_hash(kKey, Platform::Apns, "shop-ios", tok[k]), cap_now);
    benchmark::DoNotOptimize(admitted);
    if (++i % 1000 == 0) ++now;
    if (++k == kTokens) {
      k = 0;
      cap_now += 3'600'001;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyPerRecipient)->Arg(0)->Arg(1);

}  // namespace
