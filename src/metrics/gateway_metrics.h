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
  std::function<double()> connections;        // pushgw_connections
  std::function<double()> streams_in_flight;  // pushgw_streams_in_flight
  std::function<double()> store_backlog;      // pushgw_store_backlog
};
void register_gateway_gauges(Registry& r, GatewayGauges g);

// pushgw_build_info{version="..."} 1
void register_build_info(Registry& r, std::string_view version);

}  // namespace pushgw::metrics
