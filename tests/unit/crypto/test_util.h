// Shared helpers for the crypto unit tests.
#pragma once
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <string>
#include <string_view>

#include "base/base64url.h"
#include "crypto/keys.h"

namespace pushgw::crypto::test {

inline std::string b64(std::string_view s) {
  auto d = base::base64url_decode(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or("");
}

inline std::string hex(std::string_view s) {
  auto d = base::hex_decode(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or("");
}

inline EvpPkeyPtr must(Result<EvpPkeyPtr> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
  return r.ok() ? std::move(r).value() : EvpPkeyPtr{};
}

// The test's own JOSE r||s -> DER conversion (hand-rolled, independent of
// the module's ECDSA_SIG-based one), then a plain EVP_DigestVerify.
inline std::string der_integer(std::string_view be32) {
  size_t i = 0;
  while (i + 1 < be32.size() && be32[i] == 0) ++i;
  std::string v(be32.substr(i));
  if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(v.begin(), '\0');
  return std::string{'\x02', static_cast<char>(v.size())} + v;
}

inline bool openssl_verify_es256(EVP_PKEY* pub, std::string_view data, std::string_view sig64) {
  if (sig64.size() != 64) return false;
  std::string body = der_integer(sig64.substr(0, 32)) + der_integer(sig64.substr(32));
  std::string der = std::string{'\x30', static_cast<char>(body.size())} + body;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool good =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return good;
}

inline bool openssl_verify_rs256(EVP_PKEY* pub, std::string_view data, std::string_view sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool good =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return good;
}

// Public-only copy of a key, via SPKI PEM (what a verifier would hold).
inline EvpPkeyPtr public_only(const EVP_PKEY* key) {
  return must(load_public_key_pem(public_key_to_pem(key)));
}

// Parses a JSON object with simdjson (independent of the module's JSON).
struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  explicit Json(std::string_view text) {
    auto r = parser.parse(text.data(), text.size(), true);
    EXPECT_FALSE(r.error()) << text;
    if (!r.error()) root = r.value();
  }
  std::string str(const char* key) {
    std::string_view v;
    EXPECT_FALSE(root[key].get(v)) << key;
    return std::string(v);
  }
  int64_t num(const char* key) {
    int64_t v = 0;
    EXPECT_FALSE(root[key].get(v)) << key;
    return v;
  }
  size_t size() {
    auto o = root.get_object();
    if (o.error()) {
      ADD_FAILURE() << "not an object";
      return 0;
    }
    return o.value_unsafe().size();
  }
};

}  // namespace pushgw::crypto::test
