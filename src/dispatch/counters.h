// A sender thread's counting system: one call per event (a final outcome, a
// retry, a response, a loop turn), kept in the two shapes the daemon exports:
//
//  - SenderStats (stats.h): per platform and status, plus gauges and
//    log-linear latency histograms; read from other threads by the stats op
//    and the watchdog;
//  - Prometheus cells (metrics/gateway_metrics.h): per app and reason, summed
//    by the registry at scrape time. Cells for the common case (delivered,
//    per app) are resolved once; other (outcome, reason) pairs are looked up
//    in the thread's own shard, which allocates only the first time a label
//    set is seen. Null families: metrics off, those calls are no-ops.
//
// Why one event writes two cells instead of one: the series cap of
// /metrics folds label sets past 10k series into "other" series (possibly one
// catch-all for every outcome), so a per-platform, per-status total derived
// from them would change meaning exactly when the cap is reached. Both
// views are written here, in the same call, and nowhere else.
//
// Threads: the owning sender thread writes; stats() may be read anywhere.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dispatch/app_table.h"
#include "dispatch/stats.h"
#include "metrics/gateway_metrics.h"
#include "metrics/registry.h"
#include "pushgw/platform.h"

namespace pushgw::dispatch {

class SenderCounters {
 public:
  SenderCounters(metrics::Registry* registry, metrics::GatewayFamilies* families, const AppTable& apps);
  SenderCounters(const SenderCounters&) = delete;
  SenderCounters& operator=(const SenderCounters&) = delete;

  const SenderStats& stats() const { return stats_; }

  // Jobs taken from the ingest ring: queued until their outcome.
  void popped(size_t n) { SenderStats::add(stats_.queued, n); }
  // Counted by popped() but not taken after all.
  void unpopped(size_t n) { SenderStats::add(stats_.queued, static_cast<uint64_t>(0) - n); }
  // A recipient's final outcome (exactly once per recipient).
  void outcome(const AppRuntime& app, Status st, std::string_view reason);
  // A send that will be tried again.
  void retried(const AppRuntime& app, std::string_view reason);
  // A response after provider_ns; e2e_ns >= 0 when it was final (then the
  // end-to-end and the gateway's share are counted too).
  void response(const AppRuntime& app, int64_t provider_ns, int64_t e2e_ns);
  // Stages of a first attempt (SenderStats::queue_latency and the two after it).
  void queued_for(int64_t ns) { stats_.queue_latency.record_ns(ns); }
  void built_after(int64_t ns) { stats_.build_latency.record_ns(ns); }
  void stream_after(int64_t ns) { stats_.stream_wait_latency.record_ns(ns); }
  void pools(uint64_t connections, uint64_t streams_in_flight);
  // Web Push jobs UntrustedBacklog ended so far (refused or shed).
  void webpush_shed(uint64_t n) { SenderStats::set(stats_.webpush_shed, n); }
  // n more connections of this app were opened again after one was lost.
  void reconnected(const AppRuntime& app, uint64_t n);
  void loop_turn() { SenderStats::add(stats_.loop_turns); }
  // Cells for the apps a reload added.
  void grow(const AppTable& apps);

 private:
  struct PerApp {
    metrics::Counter* delivered = nullptr;
    metrics::Histogram* provider = nullptr;
    metrics::Histogram* gateway = nullptr;
  };

  SenderStats stats_;
  std::unique_ptr<metrics::Shard> shard_;
  metrics::GatewayFamilies* fam_ = nullptr;
  std::vector<PerApp> apps_;
};

}  // namespace pushgw::dispatch
