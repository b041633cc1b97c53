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

namespace {

void gauge(Registry& r, const char* name, const char* help, std::function<double()> fn) {
  if (fn) r.gauge_callback(name, help, std::move(fn));
}

void counter(Registry& r, const char* name, const char* help, std::function<double()> fn) {
  if (fn) r.counter_callback(name, help, {}, [fn = std::move(fn)](SampleSink& s) { s.add({}, fn()); });
}

}  // namespace

void register_gateway_gauges(Registry& r, GatewayGauges g) {
  gauge(r, "pushgw_queue_depth", "Recipients accepted and not yet final (queued, in flight, awaiting retry).",
        std::move(g.queue_depth));
  gauge(r, "pushgw_max_queued", "Recipients queued before ingest stops reading ([server] max_queued).",
        std::move(g.max_queued));
  gauge(r, "pushgw_connections", "Open provider connections.", std::move(g.connections));
  gauge(r, "pushgw_streams_in_flight", "HTTP/2 requests sent to providers and not yet answered.",
        std::move(g.streams_in_flight));
  gauge(r, "pushgw_store_backlog", "Outcomes waiting to be written to the store.", std::move(g.store_backlog));
  counter(r, "pushgw_store_committed_total", "Outcomes written to the store.", std::move(g.store_committed));
  counter(r, "pushgw_store_write_errors_total", "Store commits that failed (retried; nothing is lost meanwhile).",
          std::move(g.store_write_errors));
  gauge(r, "pushgw_store_available",
        "1 while store commits succeed; 0 during an outage (sends are refused store_unavailable).",
        std::move(g.store_available));
  counter(r, "pushgw_store_send_flushes_total",
          "Store transactions that wrote the summed per-token send counts (sent, delivered, last_sent_at).",
          std::move(g.store_send_flushes));
  gauge(r, "pushgw_store_pending_send_tokens",
        "Tokens whose send counts are summed in memory and wait for the next flush ([store] send_flush_ms).",
        std::move(g.store_pending_send_tokens));
  gauge(r, "pushgw_store_send_log_tokens",
        "Tokens whose flushed send counts are in the store's send log and not yet in their rows (written when "
        "the store is idle).",
        std::move(g.store_send_log_tokens));
  gauge(r, "pushgw_start_time_seconds", "When this pushgwd started, in unix seconds.", std::move(g.start_time));
  if (g.breakers_open) {
    r.gauge_callback("pushgw_breakers_open",
                     "Provider origins whose circuit breaker is open or half-open (sends held, one probe at a time).",
                     {"platform", "app"}, std::move(g.breakers_open));
  }
  if (g.app_suspect) {
    r.gauge_callback("pushgw_app_suspect",
                     "1 while the app is suspect: most of its recent answers say its tokens belong to another app "
                     "(likely a config mistake); those verdicts are not applied.",
                     {"platform", "app"}, std::move(g.app_suspect));
  }
  if (g.breaker_opens) {
    r.counter_callback("pushgw_breaker_opens_total", "Times a provider origin's circuit breaker opened.",
                       {"platform", "app"}, std::move(g.breaker_opens));
  }
}

void register_spool_gauges(Registry& r, SpoolGauges g) {
  gauge(r, "pushgw_spool_live_requests", "Journaled requests with recipients not yet final.",
        std::move(g.live_requests));
  gauge(r, "pushgw_spool_segments", "Spool segment files on disk.", std::move(g.segments));
  gauge(r, "pushgw_spool_failed", "1 while spool writes fail: they are retried, and new sends are refused meanwhile.",
        std::move(g.failed));
  counter(r, "pushgw_spool_requests_total", "Requests journaled.", std::move(g.requests));
  counter(r, "pushgw_spool_syncs_total", "fdatasync calls on the spool.", std::move(g.syncs));
  counter(r, "pushgw_spool_written_bytes_total", "Bytes written to the spool.", std::move(g.bytes));
}

void register_watchdog_gauge(Registry& r, std::function<double()> stalled_loops) {
  gauge(r, "pushgw_watchdog_stalled_loops", "Event loops (main, senders) that did not turn at the last watchdog check.",
        std::move(stalled_loops));
}

void register_build_info(Registry& r, std::string_view version) {
  r.gauge_callback("pushgw_build_info", "Always 1; the version label says which pushgwd runs.", {"version"},
                   [v = std::string(version)](SampleSink& s) { s.add({v}, 1); });
}

}  // namespace pushgw::metrics
