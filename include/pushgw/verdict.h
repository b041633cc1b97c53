// A provider's reading of one response. Pure value: dispatch decides what to
// do with it (retry timers, store updates, connection actions).
#pragma once
#include <cstdint>
#include <string>

namespace pushgw {

enum class VerdictKind : uint8_t {
  Delivered,     // 2xx: accepted by the provider
  Invalid,       // token malformed / not for this app: prune it
  Unsubscribed,  // app removed / subscription expired: prune it
  Failed,        // permanent failure that is not about the token (keep token)
  Retry,         // transient: try again later (backoff, Retry-After)
};

struct Verdict {
  VerdictKind kind = VerdictKind::Failed;
  int http_status = 0;
  std::string reason;            // provider reason, e.g. "BadDeviceToken", "UNREGISTERED"
  std::string id;                // apns-id, FCM message name, Web Push Location
  int64_t retry_after_ms = -1;   // from Retry-After; -1 = none given
  int64_t min_retry_ms = 0;      // provider rule (FCM QUOTA_EXCEEDED: >= 60 s)
  int64_t since_ms = 0;          // APNs 410 timestamp (epoch ms), 0 = none
  bool refresh_credential = false;  // sign/fetch a new credential, then retry
  bool close_connection = false;    // drain and close the connection that answered
};

}  // namespace pushgw
