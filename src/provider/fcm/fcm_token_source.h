// The OAuth2 access token of one FCM service account, shared by every sender
// thread of that account. Pure state, no I/O: the daemon signs the assertion
// (crypto::google_assertion), POSTs token_request_body() to the token_uri,
// feeds the answer through parse_token_response() and set()s the result.
//
// Refresh schedule: needs_refresh() turns true when there is no token, when a
// 401 invalidated the current one, or when less than max(5 min, 10 % of the
// token's lifetime) is left. Google issues 1 h tokens, so a fresh token is
// fetched about 6 minutes before the old one expires.
//
// Thread safety: every member is safe to call concurrently. token() is one
// mutex touch; providers call it once per batch drain, not per request.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "pushgw/result.h"

namespace pushgw::provider {

class FcmTokenSource {
 public:
  static constexpr int64_t kMinMarginMs = 5 * 60 * 1000;       // refresh with < 5 min left...
  static constexpr int64_t kMarginPermille = 100;              // ...or < 10 % of the lifetime
  static constexpr int64_t kDefaultLifetimeS = 3600;           // when expires_in is absent
  static constexpr std::string_view kScope = "https://www.googleapis.com/auth/firebase.messaging";

  // Current access token (without "Bearer "), nullptr before the first set().
  // An invalidated token is still returned until a new one is set: requests
  // sent with it come back 401 and are retried, which beats failing them.
  std::shared_ptr<const std::string> token() const;

  // Installs a new token. obtained_at_ms (when the request for it was made)
  // lets the 10 % margin apply; 0 means unknown and only the 5 min margin is
  // used. Bumps generation().
  void set(std::string token, int64_t expires_at_ms, int64_t obtained_at_ms = 0);

  bool needs_refresh(int64_t now_ms) const;
  // Time at which needs_refresh() turns true (<= now when it already is):
  // lets the daemon arm one timer instead of polling.
  int64_t refresh_due_ms() const;

  // A 401 for `rejected`: marks the current token bad only if it is still
  // `rejected`, so many threads reporting the same 401 cause one refresh
  // (and one generation bump). Returns true if this call invalidated it.
  bool invalidate(const std::string& rejected);

  // Changes on every set() and effective invalidate().
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // application/x-www-form-urlencoded body of the RFC 7523 token request.
  static std::string token_request_body(std::string_view assertion);

  // Reads the token endpoint's answer: {access_token, expires_in} becomes
  // (token, now_ms + expires_in * 1000). Errors: "oauth_rejected" (status is
  // not 200; message carries Google's error/error_description, never the
  // token), "oauth_bad_response" (not JSON, no usable access_token, or a bad
  // expires_in).
  static Result<std::pair<std::string, int64_t>> parse_token_response(int status, std::string_view body,
                                                                      int64_t now_ms);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> current_;
  int64_t expires_at_ms_ = 0;
  int64_t obtained_at_ms_ = 0;
  bool invalid_ = false;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace pushgw::provider
