// JOSE signatures and compact JWTs: ES256 for the APNs provider token and
// VAPID, RS256 for the Google service-account assertion.
//
// Thread safety: all functions are reentrant; a key may be shared read-only.
// Errors: "bad_key" (key type does not fit the algorithm), "bad_alg"
// (algorithm other than ES256/RS256), "bad_jwt" (malformed compact JWT),
// "crypto_failed" (library failure).
#pragma once
#include <openssl/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::crypto {

// 64-byte r||s (JOSE form) over SHA-256(data); key must be P-256 private.
Result<std::string> es256_sign_raw(EVP_PKEY* key, std::string_view data);
bool es256_verify_raw(EVP_PKEY* key, std::string_view data, std::string_view sig64);
// RSASSA-PKCS1-v1_5 with SHA-256; key must be RSA.
Result<std::string> rs256_sign(EVP_PKEY* key, std::string_view data);
bool rs256_verify(EVP_PKEY* key, std::string_view data, std::string_view sig);

// header_json/claims_json are complete JSON objects, used byte for byte;
// returns b64url(h).b64url(c).b64url(sig). alg is "ES256" or "RS256" and must
// fit the key.
Result<std::string> jwt_sign(EVP_PKEY* key, std::string_view alg, std::string_view header_json,
                             std::string_view claims_json);

struct JwtParts {
  std::string header_json, claims_json, signature;  // decoded bytes
  std::string signing_input;                        // "<b64 header>.<b64 claims>"
};
// Splits and decodes without verifying; "bad_jwt" unless there are exactly
// three base64url parts and header and claims look like JSON objects.
Result<JwtParts> jwt_decode(std::string_view jwt);
// Verifies with the algorithm the header names: ES256 (P-256 key) or RS256
// (RSA key) only; "none", HS256, anything else or a key of the wrong type
// gives false. Claims (exp etc.) are not checked.
bool jwt_verify(std::string_view jwt, EVP_PKEY* pub);

// {"alg":"ES256","kid":"<key_id>"}
std::string apns_jwt_header(std::string_view key_id);
// {"iss":"<team_id>","iat":<iat_s>}
std::string apns_jwt_claims(std::string_view team_id, int64_t iat_s);
// RS256 JWT with header {"alg":"RS256","typ":"JWT"} and claims
// {"iss":client_email,"scope":scope,"aud":token_uri,"iat":iat,"exp":iat+3600}.
Result<std::string> google_assertion(EVP_PKEY* rsa, std::string_view client_email,
                                     std::string_view scope, std::string_view token_uri,
                                     int64_t iat_s);

}  // namespace pushgw::crypto
