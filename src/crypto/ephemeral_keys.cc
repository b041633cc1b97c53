#include "crypto/ephemeral_keys.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include <algorithm>

#include "crypto/ossl.h"

namespace pushgw::crypto {

using detail::ossl_error;

namespace {

using BnPtr = std::unique_ptr<BIGNUM, detail::Deleter<BN_clear_free>>;
constexpr size_t kScalar = 32;

}  // namespace

struct EphemeralKeys::Stock {
  const EC_GROUP* group = nullptr;
  detail::BnCtxPtr bn;
  std::array<BnPtr, kBatch> d;  // scalars not yet handed out (wiped when taken)
  std::array<detail::EcPointPtr, kBatch> point;
  std::array<std::array<unsigned char, 65>, kBatch> pub;
  BnPtr x, y, z;  // scratch: public coordinates only
  size_t next = kBatch;  // empty until the first take

  Result<void> init(const EC_GROUP* g);
  Result<void> refill();
  bool scalar(const unsigned char* drawn, BIGNUM* out);
  bool encode();
  void wipe();
};

Result<void> EphemeralKeys::Stock::init(const EC_GROUP* g) {
  group = g;
  bn.reset(BN_CTX_new());
  x.reset(BN_new());
  y.reset(BN_new());
  z.reset(BN_new());
  bool made = group && bn && x && y && z;
  for (size_t i = 0; made && i < kBatch; ++i) {
    d[i].reset(BN_secure_new());
    point[i].reset(EC_POINT_new(group));
    made = d[i] && point[i];
    // As OpenSSL's own key generation: the scalar's arithmetic stays constant-time.
    if (made) BN_set_flags(d[i].get(), BN_FLG_CONSTTIME);
  }
  if (!made) return ossl_error("crypto_failed", "P-256 key stock");
  return ok();
}

// A draw outside [1, n-1] is replaced by a fresh one (probability ~2^-32
// for P-256), so every scalar is uniform in the range.
bool EphemeralKeys::Stock::scalar(const unsigned char* drawn, BIGNUM* out) {
  unsigned char again[kScalar];
  const unsigned char* b = drawn;
  bool done = false;
  for (;;) {
    if (BN_bin2bn(b, kScalar, out) == nullptr) break;
    if (!BN_is_zero(out) && BN_cmp(out, EC_GROUP_get0_order(group)) < 0) {
      done = true;
      break;
    }
    if (RAND_priv_bytes(again, sizeof again) != 1) break;
    b = again;
  }
  OPENSSL_cleanse(again, sizeof again);
  return done;
}

// Every point of the batch to affine with one inversion, then its
// coordinates read as they are (Z = 1). OpenSSL 3's P-256 code inverts Z on
// every point2oct, even for a point already affine, so the read goes through
// the Jacobian getter (deprecated in 3.0, still shipped).
bool EphemeralKeys::Stock::encode() {
  std::array<EC_POINT*, kBatch> raw{};
  for (size_t i = 0; i < kBatch; ++i) raw[i] = point[i].get();
  bool done = true;
#ifndef OPENSSL_NO_DEPRECATED_3_0
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  done = EC_POINTs_make_affine(group, kBatch, raw.data(), bn.get()) == 1;
  for (size_t i = 0; done && i < kBatch; ++i) {
    unsigned char* p = pub[i].data();
    p[0] = 0x04;
    done = EC_POINT_get_Jprojective_coordinates_GFp(group, raw[i], x.get(), y.get(), z.get(), bn.get()) == 1 &&
           BN_is_one(z.get()) && BN_bn2binpad(x.get(), p + 1, 32) == 32 && BN_bn2binpad(y.get(), p + 33, 32) == 32;
  }
#pragma GCC diagnostic pop
#else
  for (size_t i = 0; done && i < kBatch; ++i)
    done = EC_POINT_point2oct(group, raw[i], POINT_CONVERSION_UNCOMPRESSED, pub[i].data(), 65, bn.get()) == 65;
#endif
  return done;
}

Result<void> EphemeralKeys::Stock::refill() {
  unsigned char drawn[kScalar * kBatch];
  bool ok_rng = RAND_priv_bytes(drawn, sizeof drawn) == 1;
  for (size_t i = 0; ok_rng && i < kBatch; ++i) ok_rng = scalar(drawn + kScalar * i, d[i].get());
  OPENSSL_cleanse(drawn, sizeof drawn);
  if (!ok_rng) {
    wipe();
    return ossl_error("rng_failed", "P-256 private scalars");
  }
  bool made = true;
  for (size_t i = 0; made && i < kBatch; ++i)
    made = EC_POINT_mul(group, point[i].get(), d[i].get(), nullptr, nullptr, bn.get()) == 1;
  if (!made || !encode()) {
    wipe();
    return ossl_error("crypto_failed", "P-256 public points");
  }
  next = 0;
  return ok();
}

void EphemeralKeys::Stock::wipe() {
  for (auto& s : d) BN_clear(s.get());
  next = kBatch;
}

EphemeralKeys::EphemeralKeys(std::unique_ptr<Stock> s) : s_(std::move(s)) {}
EphemeralKeys::EphemeralKeys(EphemeralKeys&&) noexcept = default;
EphemeralKeys& EphemeralKeys::operator=(EphemeralKeys&&) noexcept = default;
EphemeralKeys::~EphemeralKeys() = default;

Result<EphemeralKeys> EphemeralKeys::create(const EC_GROUP* group) {
  auto s = std::make_unique<Stock>();
  if (auto r = s->init(group); !r) return r.error();
  return EphemeralKeys(std::move(s));
}

Result<void> EphemeralKeys::take(BIGNUM* d, unsigned char (&pub65)[65]) {
  Stock& s = *s_;
  if (s.next == kBatch)
    if (auto r = s.refill(); !r) return r;
  // Used up whether or not the copy works: a wiped scalar is never handed out.
  const size_t i = s.next++;
  BIGNUM* mine = s.d[i].get();
  const bool copied = BN_copy(d, mine) != nullptr;
  BN_clear(mine);
  if (!copied) return ossl_error("crypto_failed", "P-256 private scalar");
  std::copy(s.pub[i].begin(), s.pub[i].end(), pub65);
  return ok();
}

size_t EphemeralKeys::left() const { return kBatch - s_->next; }

}  // namespace pushgw::crypto
