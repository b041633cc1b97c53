// Apple's status/reason table (anchors.md §4) mapped onto the contract's
// outcomes. Unknown reasons fall back on the status class.
#include <charconv>
#include <string>

#include "provider/apns/apns_provider.h"
#include "provider/common/json_fields.h"
#include "provider/common/make_verdict.h"
#include "provider/common/retry_after.h"

namespace pushgw::provider {
namespace {

Verdict classify_400(std::string_view reason) {
  if (reason == "BadDeviceToken" || reason == "DeviceTokenNotForTopic")
    return make_verdict(VerdictKind::Invalid, 400, reason);
  if (reason == "IdleTimeout") {  // the connection idled out: reconnect and resend
    Verdict v = make_verdict(VerdictKind::Retry, 400, reason);
    v.close_connection = true;
    return v;
  }
  return make_verdict(VerdictKind::Failed, 400, reason.empty() ? "BadRequest" : reason);
}

Verdict classify_403(std::string_view reason) {
  if (reason == "ExpiredProviderToken" || reason == "InvalidProviderToken") {
    // The connection is wedged for this token: drain it, sign anew, resend.
    Verdict v = make_verdict(VerdictKind::Retry, 403, reason);
    v.refresh_credential = true;
    v.close_connection = true;
    return v;
  }
  return make_verdict(VerdictKind::Failed, 403, reason.empty() ? "Forbidden" : reason);
}

}  // namespace

Verdict classify_apns(int status, std::string_view body, std::string_view apns_id,
                      std::string_view retry_after, int64_t now_ms) {
  std::string reason = json_string_field(body, "reason");
  Verdict v;
  switch (status) {
    case 200:
      v = make_verdict(VerdictKind::Delivered, 200, "");
      v.id.assign(apns_id);
      return v;
    case 400:
      v = classify_400(reason);
      break;
    case 403:
      v = classify_403(reason);
      break;
    case 410:
      // Unregistered / ExpiredToken: final. The timestamp is epoch ms.
      v = make_verdict(VerdictKind::Unsubscribed, 410, reason.empty() ? "Unregistered" : reason);
      v.since_ms = json_int_field(body, "timestamp");
      break;
    case 413:
      v = make_verdict(VerdictKind::Failed, 413, reason.empty() ? "PayloadTooLarge" : reason);
      break;
    case 429:
      v = make_verdict(VerdictKind::Retry, 429, reason.empty() ? "TooManyRequests" : reason);
      // Too many token updates leave that connection unusable for a while.
      if (reason == "TooManyProviderTokenUpdates") v.close_connection = true;
      break;
    case 500:
    case 502:
    case 503:
    case 504:
      v = make_verdict(VerdictKind::Retry, status, reason.empty() ? "ServiceUnavailable" : reason);
      if (reason == "Shutdown") v.close_connection = true;
      break;
    default:
      v = make_verdict(status >= 500 ? VerdictKind::Retry : VerdictKind::Failed, status,
               reason.empty() ? "http_" + std::to_string(status) : reason);
  }
  v.id.assign(apns_id);
  if (v.kind == VerdictKind::Retry) v.retry_after_ms = parse_retry_after(retry_after, now_ms);
  return v;
}

}  // namespace pushgw::provider
