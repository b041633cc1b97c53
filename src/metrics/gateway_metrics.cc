#include "metrics/gateway_metrics.h"

#include <string>

namespace pushgw::metrics {

GatewayFamilies::GatewayFamilies(Registry& r)
    : notifications(r.counter("pushgw_notifications_total",
                              "Recipients that reached a final outcome, by platform, app, outcome and provider reason.",
                              {"platform", "app", "outcome", "reason"})),
      retries(r.counter("pushgw_retries_total", "Send attempts scheduled again after a retryable answer or failure.",
                        {"platform", "app", "reason"})),
      suppressions(r.counter("pushgw_suppressions_total",
                             "Recipients not sent because the store knows the token is invalid or unsubscribed.",
                             {"platform", "app", "state"})),
      reconnects(r.counter("pushgw_reconnects_total", "Provider connections opened again after one was lost.",
                           {"platform", "app"})),
      accepted(r.counter("pushgw_accepted_total", "Recipients accepted from the socket protocol.",
                         {"platform", "app"})),
      rejected(r.counter("pushgw_rejected_total", "Recipients rejected at ingest, by error code.",
                         {"platform", "error"})),
      provider_latency(r.histogram("pushgw_provider_response_seconds",
                                   "Time from writing a request to a provider to its complete response.",
                                   {"platform", "app"})),
      gateway_latency(r.histogram("pushgw_gateway_latency_seconds",
                                  "Time the gateway added: from acceptance to the first request to the provider.",
                                  {"platform", "app"})) {}

void register_gateway_gauges(Registry& r, GatewayGauges g) {
  if (g.queue_depth) {
    r.gauge_callback("pushgw_queue_depth", "Recipients accepted and not yet final (queued, in flight, awaiting retry).",
                     std::move(g.queue_depth));
  }
  if (g.connections) {
    r.gauge_callback("pushgw_connections", "Open provider connections.", std::move(g.connections));
  }
  if (g.streams_in_flight) {
    r.gauge_callback("pushgw_streams_in_flight", "HTTP/2 requests sent to providers and not yet answered.",
                     std::move(g.streams_in_flight));
  }
  if (g.store_backlog) {
    r.gauge_callback("pushgw_store_backlog", "Outcomes waiting to be written to the store.",
                     std::move(g.store_backlog));
  }
}

void register_build_info(Registry& r, std::string_view version) {
  r.gauge_callback("pushgw_build_info", "Always 1; the version label says which pushgwd runs.", {"version"},
                   [v = std::string(version)](SampleSink& s) { s.add({v}, 1); });
}

}  // namespace pushgw::metrics
