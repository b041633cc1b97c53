#include "crypto/p256_ecdh.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include <optional>

#include "crypto/ephemeral_keys.h"
#include "crypto/keys.h"
#include "crypto/ossl.h"

namespace pushgw::crypto {

using detail::ossl_error;

namespace {

using BnPtr = std::unique_ptr<BIGNUM, detail::Deleter<BN_clear_free>>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

bool uncompressed65(std::string_view pt65) { return pt65.size() == 65 && pt65[0] == 0x04; }

}  // namespace

struct P256Ecdh::State {
  detail::EcGroupPtr group;
  detail::BnCtxPtr bn;
  detail::EcPointPtr peer, pub, shared;
  BnPtr d;                // the message's private scalar; wiped after derive
  BnPtr x, px, py, one;   // scratch (x holds the secret until wiped)
  std::optional<EphemeralKeys> stock;  // fresh key pairs, made a batch at a time
  bool have_d = false;

  Result<void> init();
  Result<void> encode_public(unsigned char (&pub65)[65]);
  void wipe();
};

Result<void> P256Ecdh::State::init() {
  group.reset(EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, NID_X9_62_prime256v1));
  bn.reset(BN_CTX_new());
  if (!group || !bn) return ossl_error("crypto_failed", "P-256 group");
  peer.reset(EC_POINT_new(group.get()));
  pub.reset(EC_POINT_new(group.get()));
  shared.reset(EC_POINT_new(group.get()));
  d.reset(BN_secure_new());
  x.reset(BN_new());
  px.reset(BN_new());
  py.reset(BN_new());
  one.reset(BN_new());
  if (!peer || !pub || !shared || !d || !x || !px || !py || !one || BN_one(one.get()) != 1)
    return ossl_error("crypto_failed", "P-256 scratch");
  // As OpenSSL's own key generation: the scalar's arithmetic stays constant-time.
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  auto keys = EphemeralKeys::create(group.get());
  if (!keys) return keys.error();
  stock.emplace(std::move(*keys));
  return ok();
}

Result<void> P256Ecdh::State::encode_public(unsigned char (&pub65)[65]) {
  // One field inversion (to affine), inherent: the body carries the point.
  if (EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, bn.get()) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, pub65, sizeof pub65, bn.get()) !=
          sizeof pub65) {
    wipe();
    return ossl_error("crypto_failed", "P-256 public point");
  }
  have_d = true;
  return ok();
}

// What OpenSSL's ECDH does after use (it frees its temporaries cleared):
// the scalar, the secret X and the shared point do not outlive the message.
void P256Ecdh::State::wipe() {
  BN_clear(d.get());
  BN_clear(x.get());
  // Overwrites the shared point's coordinates with public ones.
  if (EC_POINT_copy(shared.get(), EC_GROUP_get0_generator(group.get())) != 1) ERR_clear_error();
  have_d = false;
}

P256Ecdh::P256Ecdh(std::unique_ptr<State> s) : s_(std::move(s)) {}
P256Ecdh::P256Ecdh(P256Ecdh&&) noexcept = default;
P256Ecdh& P256Ecdh::operator=(P256Ecdh&&) noexcept = default;
P256Ecdh::~P256Ecdh() = default;

Result<P256Ecdh> P256Ecdh::create() {
  auto s = std::make_unique<State>();
  if (auto r = s->init(); !r) return r.error();
  return P256Ecdh(std::move(s));
}

Result<void> P256Ecdh::set_peer(std::string_view pt65) {
  // oct2point rejects coordinates >= p and points off the curve; an
  // uncompressed encoding cannot be infinity; P-256 has cofactor 1.
  if (!uncompressed65(pt65) ||
      EC_POINT_oct2point(s_->group.get(), s_->peer.get(), bytes(pt65), pt65.size(), s_->bn.get()) != 1) {
    detail::clear_errors();
    return make_error("bad_key", "P-256 public key is not an uncompressed point on the curve");
  }
  return ok();
}

Result<void> P256Ecdh::set_peer_validated(std::string_view pt65) {
  if (!uncompressed65(pt65)) return make_error("bad_key", "P-256 public key must be 65 bytes, uncompressed");
#ifndef OPENSSL_NO_DEPRECATED_3_0
  // The one OpenSSL 3 call that sets a point without the on-curve check
  // (deprecated in 3.0, still shipped): (X, Y, 1) in Jacobian coordinates is
  // the affine point (X, Y). oct2point would check the curve again (9.2k
  // instructions against 5.9k).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const bool set = BN_bin2bn(bytes(pt65) + 1, 32, s_->px.get()) != nullptr &&
                   BN_bin2bn(bytes(pt65) + 33, 32, s_->py.get()) != nullptr &&
                   EC_POINT_set_Jprojective_coordinates_GFp(s_->group.get(), s_->peer.get(), s_->px.get(),
                                                            s_->py.get(), s_->one.get(), s_->bn.get()) == 1;
#pragma GCC diagnostic pop
  if (!set) return ossl_error("crypto_failed", "P-256 peer point");
  return ok();
#else
  return set_peer(pt65);
#endif
}

Result<void> P256Ecdh::generate(unsigned char (&pub65)[65]) {
  // Uniform in [1, n-1], as OpenSSL's EC key generation draws it; the
  // stock pays the DRBG call and the inversion to affine once per batch.
  if (auto r = s_->stock->take(s_->d.get(), pub65); !r) return r;
  s_->have_d = true;
  return ok();
}

Result<void> P256Ecdh::use_private(const EVP_PKEY* key, unsigned char (&pub65)[65]) {
  BIGNUM* raw = nullptr;
  if (!is_p256(key) || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    detail::clear_errors();
    return make_error("bad_key", "not a P-256 private key");
  }
  BnPtr priv(raw);
  if (BN_copy(s_->d.get(), priv.get()) == nullptr) return ossl_error("crypto_failed", "P-256 private scalar");
  return s_->encode_public(pub65);
}

Result<void> P256Ecdh::derive(unsigned char (&secret)[32]) {
  State& s = *s_;
  if (!s.have_d) return make_error("crypto_failed", "ECDH without a fresh private key");
  // OpenSSL's ECDH (ossl_ecdh_simple_compute_key): X of d * peer, padded.
  const bool done = EC_POINT_mul(s.group.get(), s.shared.get(), nullptr, s.peer.get(), s.d.get(), s.bn.get()) == 1 &&
                    EC_POINT_get_affine_coordinates(s.group.get(), s.shared.get(), s.x.get(), nullptr, s.bn.get()) == 1 &&
                    BN_bn2binpad(s.x.get(), secret, sizeof secret) == sizeof secret;
  s.wipe();
  if (!done) return ossl_error("crypto_failed", "ECDH derive");
  return ok();
}

}  // namespace pushgw::crypto
