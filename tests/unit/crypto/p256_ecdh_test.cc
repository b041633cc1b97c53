#include "crypto/p256_ecdh.h"

#include <set>
#include <string>

#include "test_util.h"

namespace pushgw::crypto {
namespace {

using test::must;

std::string str(const unsigned char* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

P256Ecdh make() {
  auto e = P256Ecdh::create();
  EXPECT_TRUE(e.ok());
  return std::move(e).value();
}

// Each generate() is a fresh key pair whose point is on the curve, and the
// secret is what the subscriber computes with the EVP API from that point.
TEST(P256Ecdh, FreshKeyPerMessageAgreesWithTheSubscriber) {
  auto ua = must(generate_p256());
  const std::string ua65 = p256_public_uncompressed(ua.get()).value();
  auto e = make();
  ASSERT_TRUE(e.set_peer(ua65).ok());
  std::set<std::string> points, secrets;
  // Past three refills of the key stock.
  for (int i = 0; i < 100; ++i) {
    unsigned char pub[65], secret[32];
    ASSERT_TRUE(e.generate(pub).ok());
    ASSERT_TRUE(e.derive(secret).ok());
    auto as_pub = p256_from_public_uncompressed(str(pub, sizeof pub));  // checks the curve
    ASSERT_TRUE(as_pub.ok());
    EXPECT_EQ(ecdh_p256(ua.get(), as_pub->get(), true).value(), str(secret, sizeof secret));
    points.insert(str(pub, sizeof pub));
    secrets.insert(str(secret, sizeof secret));
  }
  EXPECT_EQ(points.size(), 100u);
  EXPECT_EQ(secrets.size(), 100u);
}

// An injected private key gives its own public point and the same secret
// as OpenSSL's EVP ECDH with that key.
TEST(P256Ecdh, InjectedKeyMatchesEvpEcdh) {
  auto as = must(generate_p256());
  auto ua = must(generate_p256());
  const std::string ua65 = p256_public_uncompressed(ua.get()).value();
  auto ua_pub = must(p256_from_public_uncompressed(ua65));
  auto e = make();
  ASSERT_TRUE(e.set_peer(ua65).ok());
  unsigned char pub[65], secret[32];
  ASSERT_TRUE(e.use_private(as.get(), pub).ok());
  EXPECT_EQ(str(pub, sizeof pub), p256_public_uncompressed(as.get()).value());
  ASSERT_TRUE(e.derive(secret).ok());
  EXPECT_EQ(str(secret, sizeof secret), ecdh_p256(as.get(), ua_pub.get(), true).value());
}

// A peer taken without the on-curve check (bytes P256Checker accepted)
// gives the same secret as the checked decode.
TEST(P256Ecdh, ValidatedPeerGivesTheSameSecret) {
  auto ua = must(generate_p256());
  const std::string ua65 = p256_public_uncompressed(ua.get()).value();
  auto e = make();
  for (int i = 0; i < 5; ++i) {
    auto as = must(generate_p256());
    unsigned char pub[65], checked[32], validated[32];
    ASSERT_TRUE(e.set_peer(ua65).ok());
    ASSERT_TRUE(e.use_private(as.get(), pub).ok());
    ASSERT_TRUE(e.derive(checked).ok());
    ASSERT_TRUE(e.set_peer_validated(ua65).ok());
    ASSERT_TRUE(e.use_private(as.get(), pub).ok());
    ASSERT_TRUE(e.derive(validated).ok());
    EXPECT_EQ(str(validated, 32), str(checked, 32));
    EXPECT_EQ(str(validated, 32), ecdh_p256(ua.get(), as.get(), true).value());
  }
  // Length and prefix are still checked.
  EXPECT_EQ(e.set_peer_validated(ua65.substr(0, 64)).error().code, "bad_key");
  std::string compressed = ua65.substr(0, 33);
  compressed[0] = 0x02;
  EXPECT_EQ(e.set_peer_validated(compressed).error().code, "bad_key");
  std::string hybrid = ua65;
  hybrid[0] = 0x06;
  EXPECT_EQ(e.set_peer_validated(hybrid).error().code, "bad_key");
}

TEST(P256Ecdh, RefusesBadPeersKeysAndASecondDerive) {
  auto ua = must(generate_p256());
  const std::string ua65 = p256_public_uncompressed(ua.get()).value();
  auto e = make();
  std::string off_curve = ua65;
  off_curve[64] ^= 1;
  EXPECT_EQ(e.set_peer(off_curve).error().code, "bad_key");
  EXPECT_EQ(e.set_peer(ua65.substr(0, 64)).error().code, "bad_key");
  std::string zeros(65, '\0');
  zeros[0] = 0x04;
  EXPECT_EQ(e.set_peer(zeros).error().code, "bad_key");
  unsigned char pub[65], secret[32];
  auto rsa = must(generate_rsa(1024));
  EXPECT_EQ(e.use_private(rsa.get(), pub).error().code, "bad_key");
  auto public_only = must(p256_from_public_uncompressed(ua65));
  EXPECT_EQ(e.use_private(public_only.get(), pub).error().code, "bad_key");
  ASSERT_TRUE(e.set_peer(ua65).ok());
  EXPECT_FALSE(e.derive(secret).ok());  // no key generated yet
  ASSERT_TRUE(e.generate(pub).ok());
  ASSERT_TRUE(e.derive(secret).ok());
  EXPECT_FALSE(e.derive(secret).ok());  // the scalar is gone after one derive
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace pushgw::crypto
