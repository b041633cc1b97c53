// The "send" op: validation and expansion of a request's notifications into
// Batches (see include/pushgw/job.h), with per-recipient rejections.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/job.h"
#include "pushgw/platform.h"
#include "pushgw/result.h"

namespace pushgw::ingest {

struct AppInfo {
  uint16_t app_id = 0;  // daemon-wide index
  Platform platform = Platform::Apns;
  std::string name;
  bool allow_private_endpoints = false;  // Web Push SSRF guard
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

struct SendRequest {
  bool wait = false;
  bool cap_override = false;  // "cap": false (a notification's own "cap" wins)
  std::string campaign;
  // One per notification with >= 1 accepted recipient, in notification order.
  // Filled: platform, app_id, n, wait, campaign, expires_at_ms, vars_table,
  // tmpl, arena, recipients, vars, options, results (sized when wait).
  // Left for the caller: pending, request_id, accepted_mono_ns.
  std::vector<std::unique_ptr<Batch>> batches;
  std::vector<Rejection> rejected;
  uint32_t accepted = 0;
};

// Provider size limits applied to the rendered payload, in bytes.
inline constexpr size_t kApnsMaxPayload = 4096;
inline constexpr size_t kApnsMaxVoipPayload = 5120;
inline constexpr size_t kFcmMaxMessage = 4096;
inline constexpr size_t kWebPushMaxPlaintext = 3993;  // 4096 - 86 header - 16 tag - 1 delimiter
inline constexpr size_t kFcmMaxToken = 4096;

// Request-level problems ("notifications" missing or not an array, "wait" not
// a boolean, "campaign" not a string, root not an object) -> Error
// "bad_request". Everything about one notification or recipient becomes a
// Rejection and the rest is accepted. now_ms is the request's arrival time.
Result<SendRequest> parse_send(simdjson::dom::element root, const AppDirectory& apps, int64_t now_ms);

}  // namespace pushgw::ingest
