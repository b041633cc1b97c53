// pushgwd's metric names, declared once. Writers (sender loops, ingest) get
// cells through their own Shard:
//
//   metrics::Shard shard(registry);                       // one per thread
//   auto* ok = shard.counter(fam.notifications, {"apns", app, "delivered", ""});
//   ok->inc();                                            // cache `ok` for the hot path
//   shard.histogram(fam.provider_latency, {"apns", app})->observe(seconds);
//
// Label values: platform = apns|fcm|webpush; app = the config section's app;
// outcome = delivered|invalid|unsubscribed|suppressed|failed (the `status` of
// the socket protocol); reason = the provider's reason code ("" when none,
// e.g. delivered; "tls_verify_failed", "Unregistered", "429" ...). Reasons come
// from providers, so the cardinality cap (10k series, then reason="other")
// bounds them.
#pragma once
#include <functional>
#include <string_view>

#include "metrics/registry.h"

namespace pushgw::metrics {

struct GatewayFamilies {
  explicit GatewayFamilies(Registry& r);

  CounterFamily& notifications;       // pushgw_notifications_total{platform,app,outcome,reason}
  CounterFamily& retries;             // pushgw_retries_total{platform,app,reason}
  CounterFamily& suppressions;        // pushgw_suppressions_total{platform,app,state}
  CounterFamily& reconnects;          // pushgw_reconnects_total{platform,app}
  CounterFamily& accepted;            // pushgw_accepted_total{platform,app}
  CounterFamily& rejected;            // pushgw_rejected_total{platform,error}
  HistogramFamily& provider_latency;  // pushgw_provider_response_seconds{platform,app}
  HistogramFamily& gateway_latency;   // pushgw_gateway_latency_seconds{platform,app}
};

// Gauges read at scrape time from whoever keeps them (callbacks run on the
// scraping thread, so they must only read atomics or loop-local state of
// that thread). Unset callbacks are not registered.
struct GatewayGauges {
  std::function<double()> queue_depth;        // pushgw_queue_depth
  std::function<double()> max_queued;         // pushgw_max_queued ([server] max_queued)
  std::function<double()> connections;        // pushgw_connections
  std::function<double()> streams_in_flight;  // pushgw_streams_in_flight
  std::function<double()> store_backlog;      // pushgw_store_backlog
  std::function<double()> store_committed;    // pushgw_store_committed_total (counter)
  std::function<double()> store_write_errors; // pushgw_store_write_errors_total (counter)
  std::function<double()> store_available;    // pushgw_store_available (1, or 0 while commits fail)
  std::function<double()> store_send_flushes; // pushgw_store_send_flushes_total (counter)
  std::function<double()> store_pending_send_tokens;  // pushgw_store_pending_send_tokens
  std::function<double()> store_send_log_tokens;      // pushgw_store_send_log_tokens
  std::function<double()> start_time;         // pushgw_start_time_seconds
  // Per (platform, app): one sample per configured app, 0 when none.
  std::function<void(SampleSink&)> breakers_open;  // pushgw_breakers_open{platform,app}
  std::function<void(SampleSink&)> breaker_opens;  // pushgw_breaker_opens_total{platform,app} (counter)
  std::function<void(SampleSink&)> app_suspect;    // pushgw_app_suspect{platform,app} (1: suspect config)
};
void register_gateway_gauges(Registry& r, GatewayGauges g);

// The durable spool's state; registered only when a [spool] is configured.
struct SpoolGauges {
  std::function<double()> live_requests;  // pushgw_spool_live_requests
  std::function<double()> segments;       // pushgw_spool_segments
  std::function<double()> failed;         // pushgw_spool_failed (1: writes fail now; retried, new sends refused)
  std::function<double()> requests;       // pushgw_spool_requests_total (counter)
  std::function<double()> syncs;          // pushgw_spool_syncs_total (counter)
  std::function<double()> bytes;          // pushgw_spool_written_bytes_total (counter)
};
void register_spool_gauges(Registry& r, SpoolGauges g);

// pushgw_watchdog_stalled_loops: loops (main, senderN) that did not turn at
// the watchdog's last check. A stuck main loop cannot answer scrapes at all:
// alert on the scrape failing (up == 0) for that.
void register_watchdog_gauge(Registry& r, std::function<double()> stalled_loops);

// pushgw_build_info{version="..."} 1
void register_build_info(Registry& r, std::string_view version);

}  // namespace pushgw::metrics
