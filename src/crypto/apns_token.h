// The APNs provider token (ES256 JWT) for one (team, key), shared by every
// sender thread and connection of that team and key.
//
// Apple: refresh no more than once every 20 minutes and no less than once
// every 60; too frequent refreshes get 429 TooManyProviderTokenUpdates and
// make the connection unusable. So the token is signed on a schedule
// (default every 50 min) and never per request.
//
// A rejection (403 ExpiredProviderToken / InvalidProviderToken) of the
// current token replaces it at once: the token is unusable, so waiting for
// the 20-minute floor would stop the app. Many streams and threads reporting
// the same token cause one re-sign. A token signed because of a rejection
// that is rejected too within 20 minutes is not replaced again (no re-sign
// loop, no TooManyProviderTokenUpdates): it stays in use, its rejections are
// final (Refused), and the next signature comes 20 minutes after it, the
// earliest Apple allows.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "crypto/keys.h"

namespace pushgw::crypto {

class ApnsTokenSource {  // thread-safe
 public:
  static constexpr int64_t kMinRefreshMs = 20 * 60 * 1000;      // Apple's lower bound
  static constexpr int64_t kDefaultRefreshMs = 50 * 60 * 1000;  // inside Apple's 20..60

  enum class Rejection : uint8_t {
    Replaced,      // a newer token is in place (signed by this call or an earlier report): send again with it
    Refused,       // the rejected token was itself signed after a rejection, < 20 min ago: no re-sign
    RefusedFirst,  // Refused, reported for the first time for this token (log the likely cause once)
    Unavailable,   // signing failed: there is no newer token
  };

  // key: P-256 private key (the .p8). If it is not one, token() returns null.
  ApnsTokenSource(EvpPkeyPtr key, std::string team_id, std::string key_id);

  // Current bearer JWT (without "bearer "). Signs the first one lazily and
  // re-signs when the current one is >= refresh_after_ms old (iat = now), or
  // >= 20 min old after it was Refused. The returned pointer stays valid
  // after later refreshes. Null only if signing failed and there was no
  // earlier token.
  std::shared_ptr<const std::string> token(int64_t now_ms);

  // APNs rejected a request that carried `rejected` (see the class comment).
  Rejection rejected(std::string_view rejected, int64_t now_ms);

  uint64_t signatures() const;  // tokens signed so far (tests, metrics)
  // Tests may set any positive value; production keeps it within 20..60 min.
  void set_refresh_after_ms(int64_t ms);

 private:
  void sign_locked(int64_t now_ms, bool after_rejection);

  mutable std::mutex mu_;
  EvpPkeyPtr key_;
  std::string team_id_, key_id_;
  std::shared_ptr<const std::string> current_;
  int64_t signed_at_ms_ = 0;
  int64_t refresh_after_ms_ = kDefaultRefreshMs;
  uint64_t signatures_ = 0;
  bool after_rejection_ = false;  // current_ was signed because its predecessor was rejected
  bool refused_ = false;          // current_ was rejected too: re-sign on the 20-minute floor only
  bool refusal_reported_ = false; // RefusedFirst was returned for current_
};

}  // namespace pushgw::crypto
