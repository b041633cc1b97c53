// Scripted per-recipient behaviours: a token (APNs), registration token (FCM)
// or subscription id (Web Push) that starts with a known prefix gets a fixed
// answer, so tests can provoke every provider verdict deterministically.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pushgw::sim {

enum class ApnsScript {
  kNone,
  kUnregistered,           // 410…  → 410 Unregistered (+timestamp)
  kBadDeviceToken,         // 4000… → 400 BadDeviceToken
  kNotForTopic,            // 4001… → 400 DeviceTokenNotForTopic
  kUnavailableFirstN,      // 503N… → 503 ServiceUnavailable the first N times
  kTooManyFirst,           // 4291… → 429 TooManyRequests (retry-after: 1) once
  kSlow,                   // de1a… → answered after --slow-ms
  kExpiredProviderFirst,   // e0e0… → 403 ExpiredProviderToken once, before auth
  kInternalError,          // 5000… → 500 InternalServerError always
};
struct ApnsScriptMatch {
  ApnsScript kind = ApnsScript::kNone;
  uint32_t n = 0;  // for kUnavailableFirstN
};
// Case-insensitive on the hex digits.
ApnsScriptMatch apns_script_for(std::string_view token);

enum class FcmScript {
  kNone,
  kUnregistered,      // unregistered- → 404 UNREGISTERED
  kInvalid,           // invalid-      → 400 INVALID_ARGUMENT (the token)
  kBadPayload,        // badpayload-   → 400 INVALID_ARGUMENT (a payload field)
  kMismatch,          // mismatch-     → 403 SENDER_ID_MISMATCH
  kQuotaFirst,        // quota-        → 429 QUOTA_EXCEEDED once (retry-after: 1)
  kUnavailableFirst,  // unavailable-  → 503 UNAVAILABLE once
  kInternalFirst,     // internal-     → 500 INTERNAL once
  kThirdParty,        // thirdparty-   → 401 THIRD_PARTY_AUTH_ERROR always
  kSlow,              // slow-         → answered after --slow-ms
};
FcmScript fcm_script_for(std::string_view token);

enum class WebPushScript {
  kNone,
  kGone,              // gone-      → 410
  kNotFound,          // notfound-  → 404
  kTooLarge,          // toolarge-  → 413
  kRateLimitFirst,    // ratelimit- → 429 once (retry-after: 1)
  kUnavailableFirst,  // unavail-   → 503 once
  kSlow,              // slow-      → answered after --slow-ms
};
WebPushScript webpush_script_for(std::string_view subscription_id);

// Remembers how often a key was seen, for "the first N times" behaviours.
// Thread-safe.
class FirstN {
 public:
  // Counts this occurrence; true if the key had been seen fewer than n times
  // before it.
  bool take(std::string_view key, uint32_t n);
  void clear();

 private:
  std::mutex mu_;
  std::unordered_map<std::string, uint32_t> seen_;
};

}  // namespace pushgw::sim
