// [delivery]: retries and connection timing of the sender threads. Parsed by
// dispatch; the daemon hands it to each Sender (SenderDeps::delivery).
#pragma once
#include "config/section.h"

namespace pushgw::dispatch {

struct DeliveryConfig {
  int max_attempts = 5;
  int max_retry_seconds = 300;
  int request_timeout_ms = 10000;
  int connect_timeout_ms = 5000;
  int ping_interval_ms = 60000;    // PING an idle provider connection silent this long
  int stall_ping_ms = 1000;        // PING a connection with requests in flight silent this long
  int ping_timeout_ms = 3000;      // no PING ACK within this: the connection is dead
  int idle_timeout_ms = 300000;
  // Requests one Web Push origin may have in flight per sender thread (at
  // most a quarter of the sender's in-flight window).
  int webpush_origin_max_in_flight = 1024;
  // Web Push origin names (anyone who subscribes chooses them): how long a
  // checked address is trusted, how long a refusal or a failed lookup
  // stands before the name is tried again, how many origins (and pools) a
  // sender thread keeps, and how many lookups run at once for the whole
  // daemon (threads of their own, not libuv's pool).
  int webpush_dns_ttl_seconds = 300;
  int webpush_dns_negative_ttl_seconds = 5;
  int webpush_max_origins = 4096;
  int webpush_resolver_threads = 2;
  // The suspect-app guard (suspect_guard.h): verdicts that can mean an
  // app-level config mistake (wrong topic, environment, sender id, VAPID
  // key) are held suspect_hold_ms; an app whose answers in the last
  // suspect_window_seconds hold at least suspect_min_verdicts of them, at
  // least suspect_ratio of its finished sends, is suspect and they are not
  // applied.
  int suspect_min_verdicts = 50;
  int suspect_window_seconds = 60;
  double suspect_ratio = 0.5;
  int suspect_hold_ms = 2000;
};

// Parses [delivery]; problems go to s.
DeliveryConfig parse_config(config::Section& s);

}  // namespace pushgw::dispatch
