// Per-sender counters. Each sender thread owns one SenderStats and is its
// only writer, through SenderCounters (counters.h), relaxed atomics so other
// threads may read; totals are summed on read, so the hot path never bounces
// a shared cache line.
#pragma once
#include <atomic>
#include <cstdint>

#include "dispatch/latency.h"
#include "pushgw/platform.h"

namespace pushgw::dispatch {

struct PlatformCounters {
  std::atomic<uint64_t> delivered{0}, failed{0}, invalid{0}, unsubscribed{0}, suppressed{0}, retried{0},
      sent{0}, capped{0}, expired{0};

  // The counter of a final status.
  std::atomic<uint64_t>& of(Status st) {
    switch (st) {
      case Status::Delivered: return delivered;
      case Status::Invalid: return invalid;
      case Status::Unsubscribed: return unsubscribed;
      case Status::Suppressed: return suppressed;
      case Status::Failed: return failed;
      case Status::Capped: return capped;
      case Status::Expired: return expired;
    }
    return failed;
  }
  const std::atomic<uint64_t>& of(Status st) const { return const_cast<PlatformCounters*>(this)->of(st); }
};

struct alignas(64) SenderStats {
  PlatformCounters platform[kPlatformCount];
  std::atomic<uint64_t> queued{0};            // jobs popped but not final (in flight + retry wait)
  std::atomic<uint64_t> connections{0};       // published after each drain
  std::atomic<uint64_t> streams_in_flight{0};
  std::atomic<uint64_t> webpush_shed{0};      // Web Push jobs ended by UntrustedBacklog (published each housekeeping)
  std::atomic<uint64_t> loop_turns{0};        // watchdog: proves the loop turns
  LatencyHistogram e2e_latency;       // socket receipt -> provider's final response
  LatencyHistogram provider_latency;  // request submitted -> response
  LatencyHistogram gateway_latency;   // e2e minus the provider's share (what pushgw adds)
  // The gateway's share split by stage, for a first attempt taken from the
  // ring (docs/performance.md, goal 4): admitted -> taken by its sender
  // (ingest hand-off, ring, a busy sender loop); taken -> submitted to its
  // pool (the requests built before it in the same pass); submitted -> given
  // a stream (the rest of the pass, then waiting for a free stream: the
  // provider's concurrency, counted in provider_latency).
  LatencyHistogram queue_latency;
  LatencyHistogram build_latency;
  LatencyHistogram stream_wait_latency;

  static void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static void set(std::atomic<uint64_t>& c, uint64_t v) { c.store(v, std::memory_order_relaxed); }
};

}  // namespace pushgw::dispatch
