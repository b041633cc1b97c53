#include "crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstring>

#include "crypto/ossl.h"

namespace pushgw::crypto {

using detail::BioPtr;
using detail::ossl_error;
using detail::PkeyCtxPtr;

void EvpPkeyFree::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

namespace detail {

Error ossl_error(std::string code, const char* step) {
  std::string msg = step;
  unsigned long e = ERR_peek_last_error();
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    msg += ": ";
    msg += reason != nullptr ? reason : "unknown OpenSSL error";
  }
  ERR_clear_error();
  return make_error(std::move(code), std::move(msg));
}

}  // namespace detail

namespace {

constexpr const char* kP256 = "prime256v1";

using BnPtr = std::unique_ptr<BIGNUM, detail::Deleter<BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, detail::Deleter<BN_CTX_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, detail::Deleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, detail::Deleter<EC_POINT_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, detail::Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, detail::Deleter<OSSL_PARAM_free>>;

// Refuses to prompt on a terminal for an encrypted PEM: credentials must be
// stored unencrypted (file permissions protect them) or the load fails.
int no_passphrase(char*, int, int, void*) { return -1; }

BioPtr read_bio(std::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Result<EvpPkeyPtr> accept_supported(EVP_PKEY* raw, const char* what) {
  EvpPkeyPtr key(raw);
  if (!key) return ossl_error("bad_key", what);
  if (!is_p256(key.get()) && !is_rsa(key.get()))
    return make_error("bad_key", "key is neither EC P-256 nor RSA");
  return key;
}

std::string drain_bio(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(n));
}

Result<EvpPkeyPtr> from_params(const char* type, int selection, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params) <= 0)
    return ossl_error("bad_key", "import key");
  return EvpPkeyPtr(raw);
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// A parameters-only P-256 key, built once and never modified. Importing a
// subscription key by duplicating it and setting the point costs ~4 us;
// EVP_PKEY_fromdata rebuilds the curve group from its name each time (~18 us).
// Deliberately never freed: it is immutable, and freeing it from a static
// destructor could race OpenSSL's own cleanup at exit. Null if unavailable.
const EVP_PKEY* p256_template() {
  static const EVP_PKEY* const tmpl = [] {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1 ||
        EVP_PKEY_paramgen(ctx.get(), &raw) != 1) {
      detail::clear_errors();
      return static_cast<EVP_PKEY*>(nullptr);
    }
    return raw;
  }();
  return tmpl;
}

// Computes d*G as an uncompressed point; fails unless 1 <= d < n.
Result<std::string> p256_public_from_scalar(const BIGNUM* d) {
  EcGroupPtr group(EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, NID_X9_62_prime256v1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  if (!group || !bn_ctx) return ossl_error("crypto_failed", "P-256 group");
  if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group.get())) >= 0)
    return make_error("bad_key", "P-256 scalar out of range");
  EcPointPtr pub(EC_POINT_new(group.get()));
  std::string out(65, '\0');
  if (!pub || EC_POINT_mul(group.get(), pub.get(), d, nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(out.data()), out.size(),
                         bn_ctx.get()) != out.size())
    return ossl_error("crypto_failed", "compute P-256 public point");
  return out;
}

// Slow path of p256_public_uncompressed: keys whose stored point format is
// compressed (possible for imported SEC1 keys) are re-encoded from X and Y.
Result<std::string> p256_public_from_xy(const EVP_PKEY* key) {
  if (!is_p256(key)) return make_error("bad_key", "not a P-256 key");
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  int okx = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  int oky = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  BnPtr bx(x), by(y);
  if (okx != 1 || oky != 1) return ossl_error("bad_key", "read P-256 public point");
  std::string out(65, '\0');
  out[0] = 0x04;
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(bx.get(), p + 1, 32) != 32 || BN_bn2binpad(by.get(), p + 33, 32) != 32)
    return make_error("bad_key", "P-256 coordinate too large");
  return out;
}

}  // namespace

Result<EvpPkeyPtr> load_private_key_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  if (!bio) return make_error("bad_key", "PEM text too large");
  EVP_PKEY* raw =
      PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, no_passphrase, nullptr, nullptr, nullptr);
  return accept_supported(raw, "read private key PEM");
}

Result<EvpPkeyPtr> load_public_key_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  if (!bio) return make_error("bad_key", "PEM text too large");
  EVP_PKEY* raw =
      PEM_read_bio_PUBKEY_ex(bio.get(), nullptr, no_passphrase, nullptr, nullptr, nullptr);
  return accept_supported(raw, "read public key PEM");
}

Result<EvpPkeyPtr> generate_p256() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) return ossl_error("crypto_failed", "generate P-256 key");
  return EvpPkeyPtr(raw);
}

Result<EvpPkeyPtr> generate_rsa(int bits) {
  if (bits < 1024 || bits > 16384) return make_error("bad_key", "RSA size out of range");
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (raw == nullptr) return ossl_error("crypto_failed", "generate RSA key");
  return EvpPkeyPtr(raw);
}

std::string private_key_to_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || key == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    detail::clear_errors();
    return {};
  }
  return drain_bio(bio.get());
}

std::string public_key_to_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || key == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    detail::clear_errors();
    return {};
  }
  return drain_bio(bio.get());
}

bool is_p256(const EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_is_a(key, "EC") != 1) return false;
  std::array<char, 32> name{};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &len) != 1) {
    detail::clear_errors();
    return false;
  }
  return std::strcmp(name.data(), kP256) == 0;
}

bool is_rsa(const EVP_PKEY* key) { return key != nullptr && EVP_PKEY_is_a(key, "RSA") == 1; }

Result<std::string> p256_public_uncompressed(const EVP_PKEY* key) {
  if (key == nullptr) return make_error("bad_key", "no key");
  std::string out(65, '\0');
  size_t len = 0;
  // Fast path: keys we generate (the per-message ephemeral ones) store the
  // point uncompressed, so this is a copy.
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY,
                                      reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                      &len) == 1 &&
      len == 65 && out[0] == 0x04 && is_p256(key))
    return out;
  detail::clear_errors();
  return p256_public_from_xy(key);
}

Result<EvpPkeyPtr> p256_public_slot() {
  const EVP_PKEY* tmpl = p256_template();
  EvpPkeyPtr key(tmpl != nullptr ? EVP_PKEY_dup(const_cast<EVP_PKEY*>(tmpl)) : nullptr);
  if (!key) return ossl_error("crypto_failed", "P-256 key parameters");
  return key;
}

Result<void> p256_assign_public_uncompressed(EVP_PKEY* slot, std::string_view pt65) {
  if (pt65.size() != 65 || pt65[0] != 0x04)
    return make_error("bad_key", "P-256 public key must be 65 bytes, uncompressed");
  // Decoding the point checks 0 <= x,y < p and that it lies on the curve; an
  // uncompressed encoding cannot denote infinity, and P-256 has cofactor 1,
  // so a decoded point is a valid public key (the unit tests pin this down).
  if (slot == nullptr || EVP_PKEY_set1_encoded_public_key(slot, bytes(pt65), pt65.size()) != 1)
    return ossl_error("bad_key", "P-256 public key is not a point on the curve");
  return ok();
}

Result<EvpPkeyPtr> p256_from_public_uncompressed(std::string_view pt65) {
  if (pt65.size() != 65 || pt65[0] != 0x04)
    return make_error("bad_key", "P-256 public key must be 65 bytes, uncompressed");
  if (p256_template() != nullptr) {
    auto key = p256_public_slot();
    if (!key) return key.error();
    if (auto r = p256_assign_public_uncompressed(key->get(), pt65); !r) return r.error();
    return key;
  }
  std::string point(pt65);  // OSSL_PARAM wants a mutable pointer
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  auto key = from_params("EC", EVP_PKEY_PUBLIC_KEY, params);
  if (!key) return make_error("bad_key", "P-256 public key is not a point on the curve");
  return key;
}

Result<EvpPkeyPtr> p256_from_private_scalar(std::string_view d32) {
  if (d32.size() != 32) return make_error("bad_key", "P-256 private scalar must be 32 bytes");
  BnPtr d(BN_bin2bn(reinterpret_cast<const unsigned char*>(d32.data()), 32, nullptr));
  if (!d) return ossl_error("crypto_failed", "parse scalar");
  auto pub = p256_public_from_scalar(d.get());
  if (!pub) return pub.error();
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kP256, 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub->data(),
                                       pub->size()) != 1)
    return ossl_error("crypto_failed", "build key parameters");
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return ossl_error("crypto_failed", "build key parameters");
  return from_params("EC", EVP_PKEY_KEYPAIR, params.get());
}

Result<void> ecdh_p256(const EVP_PKEY* priv, const EVP_PKEY* peer, bool validate_peer, unsigned char (&out)[32]) {
  if (priv == nullptr || peer == nullptr) return make_error("bad_key", "no key");
  // OpenSSL 3.0 takes these non-const but only up-references them.
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(priv), nullptr));
  size_t len = sizeof out;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), const_cast<EVP_PKEY*>(peer), validate_peer ? 1 : 0) !=
          1)
    return ossl_error("bad_key", "ECDH peer");
  if (EVP_PKEY_derive(ctx.get(), out, &len) != 1 || len != sizeof out)
    return ossl_error("crypto_failed", "ECDH derive");
  return ok();
}

Result<std::string> ecdh_p256(const EVP_PKEY* priv, const EVP_PKEY* peer, bool validate_peer) {
  unsigned char secret[32];
  if (auto r = ecdh_p256(priv, peer, validate_peer, secret); !r) return r.error();
  return std::string(reinterpret_cast<const char*>(secret), sizeof secret);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[32];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1 || len != sizeof md) {
    detail::clear_errors();
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : md) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  // HMAC zero-pads short keys, so an empty key equals the one-byte key "\0";
  // substituting it avoids relying on how EVP_MAC treats a zero-length key.
  static constexpr char kZero = '\0';
  if (key.empty()) key = std::string_view(&kZero, 1);
  std::string out(32, '\0');
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                reinterpret_cast<unsigned char*>(out.data()), out.size(), &len) == nullptr ||
      len != 32) {
    detail::clear_errors();
    return {};
  }
  return out;
}

Result<std::string> random_bytes(size_t n) {
  if (n > INT_MAX) return make_error("rng_failed", "too many random bytes requested");
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return ossl_error("rng_failed", "RAND_bytes");
  return out;
}

}  // namespace pushgw::crypto
