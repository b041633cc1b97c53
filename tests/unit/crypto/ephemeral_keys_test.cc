#include "crypto/ephemeral_keys.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <set>
#include <string>

#include "crypto/ossl.h"

namespace pushgw::crypto {
namespace {

using BnPtr = std::unique_ptr<BIGNUM, detail::Deleter<BN_clear_free>>;

std::string str(const unsigned char* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

// What OpenSSL's own per-point path gives for d*G.
std::string encoded(const EC_GROUP* g, const BIGNUM* d) {
  detail::EcPointPtr p(EC_POINT_new(g));
  detail::BnCtxPtr bn(BN_CTX_new());
  unsigned char out[65];
  if (!p || !bn || EC_POINT_mul(g, p.get(), d, nullptr, nullptr, bn.get()) != 1 ||
      EC_POINT_point2oct(g, p.get(), POINT_CONVERSION_UNCOMPRESSED, out, sizeof out, bn.get()) != sizeof out)
    return {};
  return str(out, sizeof out);
}

// Every key pair handed out, across several refills, is a scalar in
// [1, n-1] and exactly its d*G as OpenSSL encodes it point by point; no
// scalar or point comes out twice.
TEST(EphemeralKeys, EveryPointIsItsOwnScalarTimesG) {
  detail::EcGroupPtr g(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  auto keys = EphemeralKeys::create(g.get());
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->left(), 0u);  // made on first use
  BnPtr d(BN_secure_new());
  std::set<std::string> points;
  std::set<std::string> scalars;
  const size_t n = 3 * EphemeralKeys::kBatch + 5;
  for (size_t i = 0; i < n; ++i) {
    unsigned char pub[65];
    ASSERT_TRUE(keys->take(d.get(), pub).ok());
    EXPECT_EQ(keys->left(), EphemeralKeys::kBatch - 1 - i % EphemeralKeys::kBatch);
    ASSERT_FALSE(BN_is_zero(d.get()));
    ASSERT_LT(BN_cmp(d.get(), EC_GROUP_get0_order(g.get())), 0);
    ASSERT_EQ(str(pub, sizeof pub), encoded(g.get(), d.get())) << "key " << i;
    unsigned char raw[32];
    ASSERT_EQ(BN_bn2binpad(d.get(), raw, sizeof raw), 32);
    scalars.insert(str(raw, sizeof raw));
    points.insert(str(pub, sizeof pub));
  }
  EXPECT_EQ(points.size(), n);
  EXPECT_EQ(scalars.size(), n);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

// A stock keeps working after a move (one per sender thread, held by value).
TEST(EphemeralKeys, MovedStockKeepsHandingOutFreshKeys) {
  detail::EcGroupPtr g(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  auto made = EphemeralKeys::create(g.get());
  ASSERT_TRUE(made.ok());
  BnPtr d(BN_secure_new());
  unsigned char first[65], second[65];
  ASSERT_TRUE(made->take(d.get(), first).ok());
  EphemeralKeys moved = std::move(*made);
  EXPECT_EQ(moved.left(), EphemeralKeys::kBatch - 1);
  ASSERT_TRUE(moved.take(d.get(), second).ok());
  EXPECT_EQ(str(second, sizeof second), encoded(g.get(), d.get()));
  EXPECT_NE(str(first, sizeof first), str(second, sizeof second));
}

}  // namespace
}  // namespace pushgw::crypto
