// The APNs provider token (ES256 JWT) for one (team, key), shared by every
// sender thread and connection of that team.
//
// Apple: refresh no more than once every 20 minutes and no less than once
// every 60; too frequent refreshes get 429 TooManyProviderTokenUpdates and
// make the connection unusable. So the token is signed on a schedule
// (default every 50 min) and never per request, and a rejection reported by
// many streams at once leads to at most one re-sign.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "crypto/keys.h"

namespace pushgw::crypto {

class ApnsTokenSource {  // thread-safe
 public:
  static constexpr int64_t kMinRefreshMs = 20 * 60 * 1000;      // Apple's lower bound
  static constexpr int64_t kDefaultRefreshMs = 50 * 60 * 1000;  // inside Apple's 20..60

  // key: P-256 private key (the .p8). If it is not one, token() returns null.
  ApnsTokenSource(EvpPkeyPtr key, std::string team_id, std::string key_id);

  // Current bearer JWT (without "bearer "). Signs the first one lazily and
  // re-signs when the current one is >= refresh_after_ms old (iat = now).
  // The returned pointer stays valid after later refreshes. Null only if
  // signing failed and there was no earlier token.
  std::shared_ptr<const std::string> token(int64_t now_ms);

  // APNs answered ExpiredProviderToken/InvalidProviderToken for `rejected`.
  // Re-signs only if `rejected` is still the current token AND it is at least
  // 20 min old; returns true if this call signed a new token. Many threads
  // reporting the same token cause one re-sign.
  bool rejected(const std::string& rejected, int64_t now_ms);

  uint64_t signatures() const;  // tokens signed so far (tests, metrics)
  // Tests may set any positive value; production keeps it within 20..60 min.
  void set_refresh_after_ms(int64_t ms);

 private:
  void sign_locked(int64_t now_ms);

  mutable std::mutex mu_;
  EvpPkeyPtr key_;
  std::string team_id_, key_id_;
  std::shared_ptr<const std::string> current_;
  int64_t signed_at_ms_ = 0;
  int64_t refresh_after_ms_ = kDefaultRefreshMs;
  uint64_t signatures_ = 0;
};

}  // namespace pushgw::crypto
