// RFC 8292 VAPID: the application server's ES256 JWT per push-service origin.
// Signed once per origin and reused for hours; re-signed when less than an
// hour of validity remains, so a sender thread signs a few times a day per
// push service instead of once per message.
//
// Errors from create(): "bad_key" (not a P-256 private key PEM),
// "bad_config" (subject is not a mailto: or https: URI).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/keys.h"
#include "pushgw/result.h"

namespace pushgw::crypto {

class VapidSigner {  // one per sender thread; NOT thread-safe; movable
 public:
  static constexpr int64_t kLifetimeS = 12 * 3600;  // RFC 8292: exp at most 24 h ahead
  static constexpr int64_t kRenewBeforeS = 3600;    // re-sign with < 1 h left
  static constexpr size_t kMaxOrigins = 1024;       // cache bound (origins come from requests)

  static Result<VapidSigner> create(std::string_view private_key_pem, std::string subject);

  // Authorization header value "vapid t=<jwt>, k=<b64url public key>" with
  // aud = origin ("https://host[:port]", as the caller derived it from the
  // endpoint), exp = now + 12 h, sub = subject. The reference stays valid
  // until the next call of authorization() or the signer's destruction.
  // Empty only if signing failed (not expected with a loaded P-256 key).
  const std::string& authorization(std::string_view origin, int64_t now_ms);
  const std::string& public_key_b64url() const { return public_b64_; }
  uint64_t signatures() const { return signatures_; }

 private:
  struct Entry {
    std::string header;
    int64_t exp_s = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  VapidSigner(EvpPkeyPtr key, std::string subject, std::string public_b64);
  bool sign(std::string_view origin, int64_t now_s, Entry& e);

  EvpPkeyPtr key_;
  std::string subject_;
  std::string public_b64_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> cache_;
  std::string empty_;
  uint64_t signatures_ = 0;
};

}  // namespace pushgw::crypto
