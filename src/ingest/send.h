// The "send" op: validation and expansion of a request's notifications into
// Batches (see include/pushgw/job.h), with per-recipient rejections.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/job.h"
#include "pushgw/platform.h"
#include "pushgw/result.h"

namespace pushgw::tz {
class QuietWindow;
class Zone;
class ZoneCache;
}  // namespace pushgw::tz

namespace pushgw::ingest {

struct AppInfo {
  uint16_t app_id = 0;  // daemon-wide index
  Platform platform = Platform::Apns;
  std::string name;
  bool allow_private_endpoints = false;  // Web Push SSRF guard
  // Web Push: ports a subscription endpoint may name besides 443 (an
  // endpoint is chosen by whoever subscribes; other ports are refused).
  std::vector<uint16_t> endpoint_ports;
};

// Implemented by the daemon from the config. find() is called once per
// notification and must be cheap; the returned pointer must stay valid for
// the duration of parse_send().
class AppDirectory {
 public:
  virtual ~AppDirectory() = default;
  virtual const AppInfo* find(Platform p, std::string_view app) const = 0;
};

struct Rejection {
  uint32_t n = 0;             // index in "notifications"
  std::string token;          // the token/topic/condition, or the endpoint when is_endpoint
  bool is_endpoint = false;   // Web Push: the response names it "endpoint"
  std::string error;          // contract code, e.g. "bad_token"
  std::string message;
};

// Rejections past this many are counted, not listed: a request of junk
// entries must not turn into gigabytes of records and a giant answer line.
inline constexpr size_t kMaxListedRejections = 1000;

struct RejectionCount {
  std::string error;  // contract code
  uint64_t count = 0;
};

// Campaign policy inputs of parse_send(). "send_at" needs none of them.
struct SchedulePolicy {
  const tz::QuietWindow* quiet = nullptr;  // [policy] quiet_hours; nullptr = none
  const tz::Zone* default_zone = nullptr;  // [policy] default_tz; nullptr = UTC
  tz::ZoneCache* zones = nullptr;          // resolves "tz"; nullptr: every "tz" is unknown
};

// A notification's request line with its recipient list cut out: what
// every deferred group of the notification has in common, built once and
// shared by them (the groups differ only in their recipients).
struct DeferredText {
  std::string head;  // up to and including the recipient list's '[' (all of it when there is no list)
  std::string tail;  // from the list's ']' on
};

// Recipients of one notification that are not sent now: its "send_at" is
// in the future, or it is marketing and they are inside their quiet hours
// (held until the window ends). One per notification and due time; the
// caller stores line() and feeds it back to parse_send() when due.
struct Deferred {
  uint32_t n = 0;              // index in "notifications"
  int64_t due_ms = 0;          // epoch ms
  bool quiet_hours = false;    // held by quiet hours (else: send_at)
  Platform platform = Platform::Apns;
  std::string app;
  std::string schedule_key;    // "" = none
  int64_t expires_at_ms = 0;   // 0 = none (always after due_ms)
  uint32_t recipients = 0;
  bool is_endpoint = false;    // Web Push: targets are endpoints
  std::vector<std::string> targets;  // tokens/endpoints/topic, for a waited request's results
  std::shared_ptr<const DeferredText> text;  // shared by the notification's groups
  std::string entries;                       // these recipients' JSON entries, comma-separated
  // A self-contained "send" request line of this notification for exactly
  // these recipients: the request's campaign and "cap", the notification
  // without "send_at" (so it is due when parsed again; quiet hours are
  // checked again then).
  std::string line() const;
  size_t line_size() const;
};

// The stored lines of one request's deferred groups repeat their
// notification each (a row is sent and deleted on its own): past this many
// bytes in all, the groups that do not fit are rejected (payload_too_large)
// instead of multiplying one request in memory and in the store.
inline constexpr size_t kMaxDeferredBytes = size_t{64} << 20;

struct SendRequest {
  bool wait = false;
  bool cap_override = false;  // "cap": false (a notification's own "cap" wins)
  std::string campaign;
  // One per notification with >= 1 accepted recipient, in notification order.
  // Filled: platform, app_id, n, wait, campaign, expires_at_ms, vars_table,
  // tmpl, arena, recipients, vars, options, results (sized when wait).
  // Left for the caller: pending, request_id, accepted_mono_ns.
  std::vector<std::unique_ptr<Batch>> batches;
  std::vector<Deferred> deferred;
  size_t deferred_bytes = 0;                     // sum of their line_size()
  std::vector<Rejection> rejected;               // the first kMaxListedRejections, in order
  uint64_t rejected_total = 0;                   // every rejection (>= rejected.size())
  std::vector<RejectionCount> rejected_by_code;  // every rejection, per code (few codes)
  uint32_t accepted = 0;  // recipients in batches and in deferred
};

// Provider size limits applied to the rendered payload, in bytes.
inline constexpr size_t kApnsMaxPayload = 4096;
inline constexpr size_t kApnsMaxVoipPayload = 5120;
inline constexpr size_t kFcmMaxMessage = 4096;
inline constexpr size_t kWebPushMaxPlaintext = 3993;  // 4096 - 86 header - 16 tag - 1 delimiter
inline constexpr size_t kFcmMaxToken = 4096;

// Request-level problems ("notifications" missing or not an array, "wait" not
// a boolean, "campaign" not a string, root not an object) -> Error
// "bad_request"; a memory allocation that fails -> Error "out_of_memory"
// (nothing of the request is kept). Everything about one notification or recipient becomes a
// Rejection and the rest is accepted. now_ms is the request's arrival time:
// what "send_at" and quiet hours are decided against.
//
// Campaign policy: a recipient whose notification is due later (send_at) or
// who is inside quiet hours (marketing only) goes to `deferred`, unless the
// notification expires first: then it is put in a batch with journaled =
// false that the senders finish as expired without sending.
Result<SendRequest> parse_send(simdjson::dom::element root, const AppDirectory& apps, int64_t now_ms,
                               const SchedulePolicy& policy = {});

// The recipients a send request names, in notification order, as responses
// show them: tokens, an FCM topic/condition, or Web Push endpoints
// (is_endpoint). For listing stored scheduled sends; anything not shaped
// like a recipient is skipped.
using TargetFn = std::function<void(uint32_t n, Platform platform, std::string_view app, std::string_view target,
                                    bool is_endpoint)>;
void for_each_target(simdjson::dom::element request, const TargetFn& fn);

}  // namespace pushgw::ingest
