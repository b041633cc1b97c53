#include "crypto/apns_token.h"

#include "crypto/jwt.h"

namespace pushgw::crypto {

ApnsTokenSource::ApnsTokenSource(EvpPkeyPtr key, std::string team_id, std::string key_id)
    : key_(std::move(key)), team_id_(std::move(team_id)), key_id_(std::move(key_id)) {}

// Signing happens under the lock on purpose: it takes ~20 µs once per
// refresh period, and holding the lock is what guarantees exactly one
// signature per refresh however many threads arrive together.
void ApnsTokenSource::sign_locked(int64_t now_ms) {
  auto jwt = jwt_sign(key_.get(), "ES256", apns_jwt_header(key_id_),
                      apns_jwt_claims(team_id_, now_ms / 1000));
  if (!jwt) return;  // keep serving the previous token, if any
  current_ = std::make_shared<const std::string>(std::move(*jwt));
  signed_at_ms_ = now_ms;
  ++signatures_;
}

std::shared_ptr<const std::string> ApnsTokenSource::token(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!current_ || now_ms - signed_at_ms_ >= refresh_after_ms_) sign_locked(now_ms);
  return current_;
}

bool ApnsTokenSource::rejected(const std::string& rejected, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!current_ || *current_ != rejected || now_ms - signed_at_ms_ < kMinRefreshMs) return false;
  uint64_t before = signatures_;
  sign_locked(now_ms);
  return signatures_ != before;
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
