#include "crypto/apns_token.h"

#include "crypto/jwt.h"

namespace pushgw::crypto {

ApnsTokenSource::ApnsTokenSource(EvpPkeyPtr key, std::string team_id, std::string key_id)
    : key_(std::move(key)), team_id_(std::move(team_id)), key_id_(std::move(key_id)) {}

// Signing happens under the lock on purpose: it takes ~20 µs once per
// refresh period, and holding the lock is what guarantees exactly one
// signature per refresh however many threads arrive together.
void ApnsTokenSource::sign_locked(int64_t now_ms, bool after_rejection) {
  auto jwt = jwt_sign(key_.get(), "ES256", apns_jwt_header(key_id_),
                      apns_jwt_claims(team_id_, now_ms / 1000));
  if (!jwt) return;  // keep serving the previous token, if any
  current_ = std::make_shared<const std::string>(std::move(*jwt));
  signed_at_ms_ = now_ms;
  ++signatures_;
  after_rejection_ = after_rejection;
  refused_ = false;
  refusal_reported_ = false;
}

std::shared_ptr<const std::string> ApnsTokenSource::token(int64_t now_ms) {
  std::lock_guard lock(mu_);
  const int64_t age = now_ms - signed_at_ms_;
  if (!current_ || age >= refresh_after_ms_) sign_locked(now_ms, false);
  // A refused token is retried on Apple's floor; the new one is on probation
  // like any token signed because of a rejection.
  else if (refused_ && age >= kMinRefreshMs) sign_locked(now_ms, true);
  return current_;
}

ApnsTokenSource::Rejection ApnsTokenSource::rejected(std::string_view rejected, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (current_ && *current_ != rejected) return Rejection::Replaced;
  if (current_ && after_rejection_ && now_ms - signed_at_ms_ < kMinRefreshMs) {
    // Renewed moments ago and refused again: a new signature would be refused
    // for the same reason (clock, revoked key, wrong ids) and would count
    // against Apple's refresh limit.
    refused_ = true;
    if (refusal_reported_) return Rejection::Refused;
    refusal_reported_ = true;
    return Rejection::RefusedFirst;
  }
  const uint64_t before = signatures_;
  sign_locked(now_ms, true);
  return signatures_ != before ? Rejection::Replaced : Rejection::Unavailable;
}

uint64_t ApnsTokenSource::signatures() const {
  std::lock_guard lock(mu_);
  return signatures_;
}

void ApnsTokenSource::set_refresh_after_ms(int64_t ms) {
  std::lock_guard lock(mu_);
  refresh_after_ms_ = ms > 0 ? ms : kDefaultRefreshMs;
}

}  // namespace pushgw::crypto
