// Push service answers (RFC 8030 §5-§8, anchors.md §4) mapped onto the
// contract's outcomes. Push services disagree on bodies (JSON at Mozilla,
// plain text elsewhere), so only the status decides; a 400's body text is
// kept as the reason for humans.
#include <string>

#include "provider/common/make_verdict.h"
#include "provider/common/retry_after.h"
#include "provider/webpush/webpush_provider.h"

namespace pushgw::provider {
namespace {

constexpr size_t kMaxBodyInReason = 200;

// Untrusted text into a reason: printable ASCII only, whitespace runs become
// one space, other bytes '?', so truncation cannot split UTF-8 or add lines.
// (Same rule as provider/fcm/reason_text.h.)
std::string reason_text(std::string_view text, size_t max_bytes) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (out.size() >= max_bytes) break;
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      space = !out.empty();
      continue;
    }
    if (space) {
      if (out.size() + 1 >= max_bytes) break;
      out.push_back(' ');
      space = false;
    }
    out.push_back(u < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

Verdict classify_webpush(int status, std::string_view body, std::string_view location,
                         std::string_view retry_after, int64_t now_ms) {
  Verdict v;
  switch (status) {
    case 200:
    case 201:  // RFC 8030: 201 Created + Location = accepted (not yet delivered)
    case 202:
      v = make_verdict(VerdictKind::Delivered, status, "");
      v.id.assign(location.substr(0, 1024));
      return v;
    case 404:  // expired subscription
      return make_verdict(VerdictKind::Unsubscribed, status, "not_found");
    case 410:  // unsubscribed / expired (autopush, FCM web push)
      return make_verdict(VerdictKind::Unsubscribed, status, "gone");
    case 413:
      return make_verdict(VerdictKind::Failed, status, "payload_too_large");
    case 429:
      v = make_verdict(VerdictKind::Retry, status, "too_many_requests");
      break;
    case 400: {
      std::string text = reason_text(body, kMaxBodyInReason);
      return make_verdict(VerdictKind::Failed, status, text.empty() ? "bad_request" : std::move(text));
    }
    case 401:
    case 403:  // RFC 8292: missing (401) or invalid (403) VAPID token
      return make_verdict(VerdictKind::Failed, status, "vapid_rejected");
    default:
      if (status < 500 || status > 599) return make_verdict(VerdictKind::Failed, status, "http_" + std::to_string(status));
      v = make_verdict(VerdictKind::Retry, status, "http_" + std::to_string(status));
  }
  v.retry_after_ms = parse_retry_after(retry_after, now_ms);
  return v;
}

}  // namespace pushgw::provider
