#include "dispatch/config.h"

#include <cstdint>

namespace pushgw::dispatch {

DeliveryConfig parse_config(config::Section& r) {
  constexpr int64_t kDayMs = 86'400'000;
  DeliveryConfig d;
  r.get_int("max_attempts", d.max_attempts, 1, 100);
  r.get_int("max_retry_seconds", d.max_retry_seconds, 1, 7 * 86400);
  r.get_int("request_timeout_ms", d.request_timeout_ms, 1, kDayMs);
  r.get_int("connect_timeout_ms", d.connect_timeout_ms, 1, kDayMs);
  r.get_int("ping_interval_ms", d.ping_interval_ms, 1, kDayMs);
  r.get_int("stall_ping_ms", d.stall_ping_ms, 100, 600'000);
  r.get_int("ping_timeout_ms", d.ping_timeout_ms, 100, 600'000);
  r.get_int("idle_timeout_ms", d.idle_timeout_ms, 1, kDayMs);
  r.get_int("webpush_origin_max_in_flight", d.webpush_origin_max_in_flight, 1, 1'000'000);
  r.get_int("webpush_dns_ttl_seconds", d.webpush_dns_ttl_seconds, 1, 86'400);
  r.get_int("webpush_dns_negative_ttl_seconds", d.webpush_dns_negative_ttl_seconds, 1, 3'600);
  r.get_int("webpush_max_origins", d.webpush_max_origins, 16, 1'000'000);
  r.get_int("webpush_resolver_threads", d.webpush_resolver_threads, 1, 64);
  r.get_int("suspect_min_verdicts", d.suspect_min_verdicts, 1, 1'000'000);
  r.get_int("suspect_window_seconds", d.suspect_window_seconds, 1, 3600);
  r.get_number("suspect_ratio", d.suspect_ratio, 0.01, 1.0);
  r.get_int("suspect_hold_ms", d.suspect_hold_ms, 0, 60'000);
  return d;
}

}  // namespace pushgw::dispatch
