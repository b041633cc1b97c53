// libFuzzer over the response classifiers of all three providers (and the
// FCM token endpoint reader and the Web Push endpoint splitter): bytes from
// a push service must never crash us or produce an impossible verdict.
//
// Input: byte 0 selects the target, bytes 1-2 the HTTP status (mod 600),
// then "<retry-after>\n<apns-id|location>\n<body>".
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/authority.h"
#include "provider/apns/apns_provider.h"
#include "provider/fcm/fcm_provider.h"
#include "provider/fcm/fcm_token_source.h"
#include "provider/webpush/webpush_provider.h"

namespace {

using namespace pushgw;
using namespace pushgw::provider;

constexpr int64_t kNow = 1'700'000'000'000;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Reasons built from provider bytes end up in JSON and logs.
void check_printable(std::string_view s) {
  for (char c : s) check(c >= 0x20 && c < 0x7f);
}

void check_common(const Verdict& v, int status) {
  check(v.http_status == status);
  check(v.retry_after_ms >= -1);
  check(v.min_retry_ms >= 0);
  if (v.kind == VerdictKind::Delivered) check(status >= 200 && status < 300);
  if (v.refresh_credential) check(v.kind == VerdictKind::Retry);
  if (v.kind != VerdictKind::Retry) check(v.retry_after_ms == -1 && v.min_retry_ms == 0);
}

std::string_view next_line(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

FcmResponseReader& reader() {
  static FcmResponseReader r;  // reused across inputs, as in a sender thread
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int which = data[0] % 5;
  const int status = ((data[1] << 8) | data[2]) % 600;
  std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::string_view retry_after = next_line(rest);
  const std::string_view id = next_line(rest);
  const std::string body(rest);  // own copy: no reads past the input

  switch (which) {
    case 0: {
      Verdict v = classify_apns(status, body, id, retry_after, kNow);
      check(v.http_status == status);
      if (v.kind == VerdictKind::Delivered) check(status == 200);
      break;
    }
    case 1: {
      Verdict v = reader().classify(status, body, retry_after, kNow);
      check_common(v, status);
      check_printable(v.reason);
      if (v.kind == VerdictKind::Invalid || v.kind == VerdictKind::Unsubscribed)
        check(status >= 400 && status < 500 && status != 401 && status != 429);
      if (v.refresh_credential) check(status == 401);
      Verdict once = classify_fcm(status, body, retry_after, kNow);
      check(once.kind == v.kind && once.reason == v.reason && once.id == v.id);
      break;
    }
    case 2: {
      Verdict v = classify_webpush(status, body, id, retry_after, kNow);
      check_common(v, status);
      check_printable(v.reason);
      check(v.reason.size() <= 200);
      if (v.kind == VerdictKind::Unsubscribed) check(status == 404 || status == 410);
      check(!v.refresh_credential);
      break;
    }
    case 3: {
      auto r = FcmTokenSource::parse_token_response(status, body, kNow);
      if (r.ok()) {
        check(status == 200 && !r->first.empty() && r->second > kNow);
        for (char c : r->first) check(c > 0x20 && c < 0x7f);
      }
      break;
    }
    case 4: {  // the Web Push provider's reading of an endpoint (fuzz_authority goes deeper)
      base::HttpsUrl u;
      if (base::parse_https_url(body, u) == base::UrlError::None) {
        check(!u.authority.host.empty() && !u.path.empty() && u.authority.port != 0);
        std::string origin;
        base::append_authority(origin, u.authority, true);
        check(origin.find(':') != std::string::npos);
        for (char c : u.path) check(c > 0x20 && c < 0x7f);
      }
      break;
    }
  }
  return 0;
}
