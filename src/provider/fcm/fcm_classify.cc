// Google's answers to messages:send (anchors.md §4, FCM ErrorCode reference)
// mapped onto the contract's outcomes. Error bodies look like
//   {"error":{"code":404,"message":"...","status":"NOT_FOUND","details":[
//     {"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"},
//     {"@type":"type.googleapis.com/google.rpc.BadRequest",
//      "fieldViolations":[{"field":"message.token","description":"..."}]}]}}
// Anything else (HTML from a proxy, truncated JSON) falls back on the status.
#include <simdjson.h>

#include <string>

#include "provider/common/make_verdict.h"
#include "provider/common/retry_after.h"
#include "provider/fcm/fcm_provider.h"
#include "provider/fcm/reason_text.h"

namespace pushgw::provider {
namespace {

namespace dom = simdjson::dom;

constexpr int64_t kQuotaMinRetryMs = 60'000;  // "a minimum initial delay of 1 minute"
constexpr size_t kMaxMessageInReason = 200;
constexpr size_t kMaxBody = 1u << 20;

// What we read out of an error body; views point into the parser's document.
struct GoogleError {
  std::string_view message;     // error.message
  std::string_view status;      // error.status, e.g. "NOT_FOUND"
  std::string_view error_code;  // FcmError.errorCode, e.g. "UNREGISTERED"
  bool token_violation = false; // a BadRequest fieldViolation on message.token
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool icontains(std::string_view hay, std::string_view needle) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

void read_detail(dom::object d, GoogleError& e) {
  std::string_view type;
  const bool typed = !d["@type"].get(type);
  std::string_view code;
  if ((!typed || ends_with(type, "FcmError")) && !d["errorCode"].get(code) && e.error_code.empty())
    e.error_code = code;
  dom::array violations;
  if (typed && ends_with(type, "google.rpc.BadRequest") && !d["fieldViolations"].get(violations)) {
    for (dom::element v : violations) {
      std::string_view field;
      if (!v["field"].get(field) && field == "message.token") e.token_violation = true;
    }
  }
}

GoogleError read_error(dom::element root) {
  GoogleError e;
  dom::object err;
  if (root["error"].get(err)) return e;
  if (err["message"].get(e.message)) e.message = {};
  if (err["status"].get(e.status)) e.status = {};
  dom::array details;
  if (!err["details"].get(details))
    for (dom::element d : details) {
      dom::object o;
      if (!d.get(o)) read_detail(o, e);
    }
  return e;
}

// errorCode, else the RPC status, else the fallback (default "http_<status>").
std::string reason_of(const GoogleError& e, int status, std::string_view fallback = {}) {
  std::string out;
  if (!e.error_code.empty()) append_reason_text(out, e.error_code, 64);
  else if (!e.status.empty()) append_reason_text(out, e.status, 64);
  if (!out.empty()) return out;
  if (!fallback.empty()) return std::string(fallback);
  return "http_" + std::to_string(status);
}

Verdict classify_400(const GoogleError& e) {
  if (!e.error_code.empty() && e.error_code != "INVALID_ARGUMENT")
    return make_verdict(VerdictKind::Failed, 400, reason_of(e, 400));
  // INVALID_ARGUMENT covers a bad token and a bad payload alike; only the
  // former may prune the token.
  if (e.token_violation || icontains(e.message, "registration token"))
    return make_verdict(VerdictKind::Invalid, 400, "INVALID_ARGUMENT");
  Verdict v = make_verdict(VerdictKind::Failed, 400, "INVALID_ARGUMENT");
  if (!e.message.empty()) append_reason_text(v.reason.append(": "), e.message, kMaxMessageInReason);
  return v;
}

Verdict classify_error(int status, const GoogleError& e) {
  // The two dead-token codes are Google's explicit verdicts (the Admin SDKs
  // map them by errorCode); honour them on any 4xx, not only the documented one.
  if (status >= 400 && status < 500 && status != 429 && status != 401) {
    if (e.error_code == "UNREGISTERED") return make_verdict(VerdictKind::Unsubscribed, status, "UNREGISTERED");
    if (e.error_code == "SENDER_ID_MISMATCH") return make_verdict(VerdictKind::Invalid, status, "SENDER_ID_MISMATCH");
  }
  switch (status) {
    case 400:
      return classify_400(e);
    case 401: {
      // THIRD_PARTY_AUTH_ERROR: the APNs/Web Push credential in the Firebase
      // project is bad. A config problem: keep the token, do not retry.
      if (e.error_code == "THIRD_PARTY_AUTH_ERROR") return make_verdict(VerdictKind::Failed, 401, e.error_code);
      Verdict v = make_verdict(VerdictKind::Retry, 401, reason_of(e, 401, "UNAUTHENTICATED"));
      v.refresh_credential = true;  // our access token expired or was revoked
      return v;
    }
    case 429:
      return make_verdict(VerdictKind::Retry, 429, reason_of(e, 429, "QUOTA_EXCEEDED"));
    default:
      break;
  }
  if (status >= 500) return make_verdict(VerdictKind::Retry, status, reason_of(e, status));
  return make_verdict(VerdictKind::Failed, status, reason_of(e, status));
}

}  // namespace

struct FcmResponseReader::Impl {
  dom::parser parser;
};

FcmResponseReader::FcmResponseReader() : impl_(std::make_unique<Impl>()) {}
FcmResponseReader::~FcmResponseReader() = default;
FcmResponseReader::FcmResponseReader(FcmResponseReader&&) noexcept = default;
FcmResponseReader& FcmResponseReader::operator=(FcmResponseReader&&) noexcept = default;

Verdict FcmResponseReader::classify(int status, std::string_view body, std::string_view retry_after,
                                    int64_t now_ms) {
  Verdict v;
  classify_into(status, body, retry_after, now_ms, v);
  return v;
}

void FcmResponseReader::classify_into(int status, std::string_view body, std::string_view retry_after,
                                      int64_t now_ms, Verdict& out) {
  dom::element root;
  const bool parsed = !body.empty() && body.size() <= kMaxBody &&
                      !impl_->parser.parse(body.data(), body.size(), true).get(root);
  if (status >= 200 && status < 300) {
    // The message name reuses out.id's capacity: nothing allocated once warm.
    reset_verdict(out, VerdictKind::Delivered, status, "");
    std::string_view name;
    if (parsed && !root["name"].get(name)) out.id.assign(name.substr(0, 512));
    return;
  }
  out = classify_error(status, parsed ? read_error(root) : GoogleError{});
  if (out.kind == VerdictKind::Retry) {
    out.retry_after_ms = parse_retry_after(retry_after, now_ms);
    if (status == 429 && out.retry_after_ms < 0) out.min_retry_ms = kQuotaMinRetryMs;
  }
}

Verdict classify_fcm(int status, std::string_view body, std::string_view retry_after, int64_t now_ms) {
  FcmResponseReader reader;
  return reader.classify(status, body, retry_after, now_ms);
}

}  // namespace pushgw::provider
