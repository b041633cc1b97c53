// Push service answers (RFC 8030 §5-§8, anchors.md §4) mapped onto the
// contract's outcomes. Push services disagree on bodies (JSON at Mozilla,
// plain text elsewhere), so only the status decides; a 400's body text is
// kept as the reason for humans.
#include <string>

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

// parse_retry_after multiplies delta-seconds by 1000 without a bound, so a
// hostile "Retry-After: 99999999999999999" overflows (found by fuzz_classify;
// reported for provider/common). Cap such values here: any delay past ~31
// years means "give up", which the retry window does anyway.
int64_t retry_after_ms(std::string_view value, int64_t now_ms) {
  constexpr int64_t kCapMs = 999'999'999'000;
  size_t digits = 0;
  for (char c : value) {
    if (c >= '0' && c <= '9') digits += (digits > 0 || c != '0') ? 1 : 0;  // significant digits
    else if (c != ' ' && c != '\t') return parse_retry_after(value, now_ms);
  }
  if (digits > 9) return kCapMs;
  return parse_retry_after(value, now_ms);
}

Verdict make(VerdictKind k, int status, std::string reason) {
  Verdict v;
  v.kind = k;
  v.http_status = status;
  v.reason = std::move(reason);
  return v;
}

}  // namespace

Verdict classify_webpush(int status, std::string_view body, std::string_view location,
                         std::string_view retry_after, int64_t now_ms) {
  Verdict v;
  switch (status) {
    case 200:
    case 201:  // RFC 8030: 201 Created + Location = accepted (not yet delivered)
    case 202:
      v = make(VerdictKind::Delivered, status, "");
      v.id.assign(location.substr(0, 1024));
      return v;
    case 404:  // expired subscription
      return make(VerdictKind::Unsubscribed, status, "not_found");
    case 410:  // unsubscribed / expired (autopush, FCM web push)
      return make(VerdictKind::Unsubscribed, status, "gone");
    case 413:
      return make(VerdictKind::Failed, status, "payload_too_large");
    case 429:
      v = make(VerdictKind::Retry, status, "too_many_requests");
      break;
    case 400: {
      std::string text = reason_text(body, kMaxBodyInReason);
      return make(VerdictKind::Failed, status, text.empty() ? "bad_request" : std::move(text));
    }
    case 401:
    case 403:  // RFC 8292: missing (401) or invalid (403) VAPID token
      return make(VerdictKind::Failed, status, "vapid_rejected");
    default:
      if (status < 500 || status > 599) return make(VerdictKind::Failed, status, "http_" + std::to_string(status));
      v = make(VerdictKind::Retry, status, "http_" + std::to_string(status));
  }
  v.retry_after_ms = retry_after_ms(retry_after, now_ms);
  return v;
}

}  // namespace pushgw::provider
