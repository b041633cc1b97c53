#include "crypto/jwt.h"

#include <openssl/ec.h>

#include "base/base64url.h"
#include "base/json_escape.h"
#include "crypto/json_text.h"
#include "crypto/keys.h"
#include "crypto/ossl.h"

namespace pushgw::crypto {

using detail::MdCtxPtr;
using detail::ossl_error;

namespace {

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, detail::Deleter<ECDSA_SIG_free>>;
using BnPtr = std::unique_ptr<BIGNUM, detail::Deleter<BN_free>>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// DER signature (whatever OpenSSL produced) → SHA-256 digest sign of `data`.
Result<std::string> digest_sign(EVP_PKEY* key, std::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1)
    return ossl_error("crypto_failed", "signature init");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(data),
                     data.size()) != 1)
    return ossl_error("crypto_failed", "sign");
  sig.resize(len);
  return sig;
}

bool digest_verify(EVP_PKEY* key, std::string_view data, std::string_view sig) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool good =
      ctx &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(data), data.size()) == 1;
  if (!good) detail::clear_errors();
  return good;
}

Result<std::string> der_to_raw(std::string_view der) {
  const unsigned char* p = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return ossl_error("crypto_failed", "parse ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32)
    return make_error("crypto_failed", "ECDSA signature component too large");
  return raw;
}

// JOSE r||s → DER; empty on failure.
std::string raw_to_der(std::string_view sig64) {
  BnPtr r(BN_bin2bn(bytes(sig64), 32, nullptr));
  BnPtr s(BN_bin2bn(bytes(sig64) + 32, 32, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool looks_like_object(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s.size() >= 2 && s.front() == '{' && s.back() == '}';
}

std::optional<std::string> decode_part(std::string_view part) {
  // JWS compact serialization forbids padding; refuse it rather than accept
  // two spellings of the same token.
  if (part.find('=') != std::string_view::npos) return std::nullopt;
  return base::base64url_decode(part);
}

}  // namespace

Result<std::string> es256_sign_raw(EVP_PKEY* key, std::string_view data) {
  if (!is_p256(key)) return make_error("bad_key", "ES256 needs a P-256 private key");
  auto der = digest_sign(key, data);
  if (!der) return der.error();
  return der_to_raw(*der);
}

bool es256_verify_raw(EVP_PKEY* key, std::string_view data, std::string_view sig64) {
  if (sig64.size() != 64 || !is_p256(key)) return false;
  std::string der = raw_to_der(sig64);
  if (der.empty()) {
    detail::clear_errors();
    return false;
  }
  return digest_verify(key, data, der);
}

Result<std::string> rs256_sign(EVP_PKEY* key, std::string_view data) {
  if (!is_rsa(key)) return make_error("bad_key", "RS256 needs an RSA private key");
  return digest_sign(key, data);
}

bool rs256_verify(EVP_PKEY* key, std::string_view data, std::string_view sig) {
  return is_rsa(key) && !sig.empty() && digest_verify(key, data, sig);
}

Result<std::string> jwt_sign(EVP_PKEY* key, std::string_view alg, std::string_view header_json,
                             std::string_view claims_json) {
  const bool es = alg == "ES256";
  if (!es && alg != "RS256") return make_error("bad_alg", "only ES256 and RS256 are supported");
  std::string out;
  out.reserve((header_json.size() + claims_json.size()) * 4 / 3 + 2 + 350);
  base::base64url_encode_append(header_json, out);
  out.push_back('.');
  base::base64url_encode_append(claims_json, out);
  auto sig = es ? es256_sign_raw(key, out) : rs256_sign(key, out);
  if (!sig) return sig.error();
  out.push_back('.');
  base::base64url_encode_append(*sig, out);
  return out;
}

Result<JwtParts> jwt_decode(std::string_view jwt) {
  size_t d1 = jwt.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : jwt.find('.', d1 + 1);
  if (d2 == std::string_view::npos || jwt.find('.', d2 + 1) != std::string_view::npos)
    return make_error("bad_jwt", "a JWT has exactly three dot-separated parts");
  auto header = decode_part(jwt.substr(0, d1));
  auto claims = decode_part(jwt.substr(d1 + 1, d2 - d1 - 1));
  auto sig = decode_part(jwt.substr(d2 + 1));
  if (!header || !claims || !sig) return make_error("bad_jwt", "JWT part is not base64url");
  if (!looks_like_object(*header) || !looks_like_object(*claims))
    return make_error("bad_jwt", "JWT header or claims is not a JSON object");
  JwtParts parts;
  parts.header_json = std::move(*header);
  parts.claims_json = std::move(*claims);
  parts.signature = std::move(*sig);
  parts.signing_input = std::string(jwt.substr(0, d2));
  return parts;
}

bool jwt_verify(std::string_view jwt, EVP_PKEY* pub) {
  auto parts = jwt_decode(jwt);
  if (!parts) return false;
  auto alg = json_top_level_string(parts->header_json, "alg");
  if (!alg) return false;
  if (*alg == "ES256") return es256_verify_raw(pub, parts->signing_input, parts->signature);
  if (*alg == "RS256") return rs256_verify(pub, parts->signing_input, parts->signature);
  return false;
}

std::string apns_jwt_header(std::string_view key_id) {
  std::string s = R"({"alg":"ES256","kid":)";
  base::json_append_quoted(s, key_id);
  s.push_back('}');
  return s;
}

std::string apns_jwt_claims(std::string_view team_id, int64_t iat_s) {
  std::string s = R"({"iss":)";
  base::json_append_quoted(s, team_id);
  s += R"(,"iat":)";
  s += std::to_string(iat_s);
  s.push_back('}');
  return s;
}

Result<std::string> google_assertion(EVP_PKEY* rsa, std::string_view client_email,
                                     std::string_view scope, std::string_view token_uri,
                                     int64_t iat_s) {
  if (!is_rsa(rsa)) return make_error("bad_key", "service-account key must be RSA");
  std::string claims = R"({"iss":)";
  base::json_append_quoted(claims, client_email);
  claims += R"(,"scope":)";
  base::json_append_quoted(claims, scope);
  claims += R"(,"aud":)";
  base::json_append_quoted(claims, token_uri);
  claims += R"(,"iat":)" + std::to_string(iat_s);
  claims += R"(,"exp":)" + std::to_string(iat_s + 3600) + "}";
  return jwt_sign(rsa, "RS256", R"({"alg":"RS256","typ":"JWT"})", claims);
}

}  // namespace pushgw::crypto
