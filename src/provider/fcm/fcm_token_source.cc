#include "provider/fcm/fcm_token_source.h"

#include <simdjson.h>

#include <algorithm>

#include "base/ascii.h"
#include "provider/fcm/reason_text.h"

namespace pushgw::provider {

std::shared_ptr<const std::string> FcmTokenSource::token() const {
  std::lock_guard lock(mu_);
  return current_;
}

void FcmTokenSource::set(std::string token, int64_t expires_at_ms, int64_t obtained_at_ms) {
  auto fresh = std::make_shared<const std::string>(std::move(token));
  std::shared_ptr<const std::string> old;  // freed outside the lock
  {
    std::lock_guard lock(mu_);
    old = std::move(current_);
    current_ = std::move(fresh);
    expires_at_ms_ = expires_at_ms;
    obtained_at_ms_ = obtained_at_ms;
    invalid_ = false;
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
}

int64_t FcmTokenSource::refresh_due_ms() const {
  std::lock_guard lock(mu_);
  if (!current_ || invalid_) return INT64_MIN;
  int64_t margin = kMinMarginMs;
  if (obtained_at_ms_ > 0 && expires_at_ms_ > obtained_at_ms_)
    margin = std::max(margin, (expires_at_ms_ - obtained_at_ms_) * kMarginPermille / 1000);
  return expires_at_ms_ - margin;
}

bool FcmTokenSource::needs_refresh(int64_t now_ms) const { return now_ms >= refresh_due_ms(); }

bool FcmTokenSource::invalidate(const std::string& rejected) {
  std::lock_guard lock(mu_);
  if (!current_ || invalid_ || *current_ != rejected) return false;
  invalid_ = true;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

namespace {

// A token goes into an HTTP header: printable ASCII without spaces only.
bool header_safe(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string FcmTokenSource::token_request_body(std::string_view assertion) {
  std::string out = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
  out.reserve(out.size() + assertion.size());
  base::percent_encode_append(out, assertion);
  return out;
}

Result<std::pair<std::string, int64_t>> FcmTokenSource::parse_token_response(int status, std::string_view body,
                                                                             int64_t now_ms) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  const bool is_obj = body.size() <= (1u << 20) && !parser.parse(body.data(), body.size(), true).get(obj);
  if (status != 200) {
    std::string msg = "token endpoint answered HTTP " + std::to_string(status);
    std::string_view err, desc;
    if (is_obj && !obj["error"].get(err)) append_reason_text(msg.append(": "), err, 100);
    if (is_obj && !obj["error_description"].get(desc)) append_reason_text(msg.append(": "), desc, 200);
    return make_error("oauth_rejected", std::move(msg));
  }
  if (!is_obj) return make_error("oauth_bad_response", "token response is not a JSON object");
  std::string_view tok;
  if (obj["access_token"].get(tok) || tok.empty() || tok.size() > 8192 || !header_safe(tok))
    return make_error("oauth_bad_response", "token response has no usable access_token");
  int64_t expires_in = kDefaultLifetimeS;
  auto el = obj["expires_in"];
  if (el.error() != simdjson::NO_SUCH_FIELD) {
    int64_t i;
    double d;
    std::string_view s;
    if (!el.get_int64().get(i)) expires_in = i;
    else if (!el.get_double().get(d) && d > 0 && d < 1e9) expires_in = static_cast<int64_t>(d);
    else if (!el.get_string().get(s) && !s.empty() && s.size() < 10 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      expires_in = std::stoll(std::string(s));  // some proxies quote it
    else
      return make_error("oauth_bad_response", "token response has a bad expires_in");
    if (expires_in <= 0 || expires_in > 365LL * 86400)
      return make_error("oauth_bad_response", "token response has a bad expires_in");
  }
  return std::pair<std::string, int64_t>(std::string(tok), now_ms + expires_in * 1000);
}

}  // namespace pushgw::provider
