#include "crypto/vapid.h"

#include "base/base64url.h"
#include "base/json_escape.h"
#include "crypto/jwt.h"

namespace pushgw::crypto {

VapidSigner::VapidSigner(EvpPkeyPtr key, std::string subject, std::string public_b64)
    : key_(std::move(key)), subject_(std::move(subject)), public_b64_(std::move(public_b64)) {}

Result<VapidSigner> VapidSigner::create(std::string_view private_key_pem, std::string subject) {
  if (!subject.starts_with("mailto:") && !subject.starts_with("https:"))
    return make_error("bad_config", "vapid_subject must be a mailto: or https: URI");
  auto key = load_private_key_pem(private_key_pem);
  if (!key) return key.error();
  if (!is_p256(key->get())) return make_error("bad_key", "VAPID key must be EC P-256");
  auto pub = p256_public_uncompressed(key->get());
  if (!pub) return pub.error();
  return VapidSigner(std::move(*key), std::move(subject), base::base64url_encode(*pub));
}

bool VapidSigner::sign(std::string_view origin, int64_t now_s, Entry& e) {
  const int64_t exp = now_s + kLifetimeS;
  std::string claims = R"({"aud":)";
  base::json_append_quoted(claims, origin);
  claims += R"(,"exp":)" + std::to_string(exp) + R"(,"sub":)";
  base::json_append_quoted(claims, subject_);
  claims.push_back('}');
  auto jwt = jwt_sign(key_.get(), "ES256", R"({"typ":"JWT","alg":"ES256"})", claims);
  if (!jwt) return false;
  e.header.clear();
  e.header.reserve(jwt->size() + public_b64_.size() + 16);
  e.header += "vapid t=";
  e.header += *jwt;
  e.header += ", k=";
  e.header += public_b64_;
  e.exp_s = exp;
  ++signatures_;
  return true;
}

const std::string& VapidSigner::authorization(std::string_view origin, int64_t now_ms) {
  const int64_t now_s = now_ms / 1000;
  auto it = cache_.find(origin);
  // The upper bound only matters if the clock stepped back: exp must stay
  // within 24 h of the request (RFC 8292 §2).
  if (it != cache_.end() && it->second.exp_s - now_s >= kRenewBeforeS &&
      it->second.exp_s - now_s <= 24 * 3600)
    return it->second.header;
  if (it == cache_.end()) {
    // Origins come from request data; bound the cache instead of trusting it.
    if (cache_.size() >= kMaxOrigins) cache_.clear();
    it = cache_.emplace(std::string(origin), Entry{}).first;
  }
  if (!sign(origin, now_s, it->second)) {
    cache_.erase(it);
    return empty_;
  }
  return it->second.header;
}

}  // namespace pushgw::crypto
