#include "crypto/p256_checker.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>

#include "crypto/keys.h"

namespace pushgw::crypto {
namespace {

TEST(P256Checker, AcceptsARealPublicKey) {
  auto key = generate_p256();
  ASSERT_TRUE(key.ok());
  const std::string pt = p256_public_uncompressed(key->get()).value();
  P256Checker c;
  EXPECT_TRUE(c.valid_uncompressed(pt));
  EXPECT_TRUE(c.valid_uncompressed(pt));  // reusable
}

TEST(P256Checker, RejectsWhatIsNotAnUncompressedPointOnTheCurve) {
  auto key = generate_p256();
  ASSERT_TRUE(key.ok());
  const std::string pt = p256_public_uncompressed(key->get()).value();
  P256Checker c;
  std::string off_curve = pt;
  off_curve[64] ^= 1;
  EXPECT_FALSE(c.valid_uncompressed(off_curve));
  std::string compressed = pt.substr(0, 33);
  compressed[0] = static_cast<char>(0x02 | (static_cast<unsigned char>(pt[64]) & 1));
  EXPECT_FALSE(c.valid_uncompressed(compressed));
  std::string wrong_prefix = pt;
  wrong_prefix[0] = 0x06;
  EXPECT_FALSE(c.valid_uncompressed(wrong_prefix));
  EXPECT_FALSE(c.valid_uncompressed(pt.substr(0, 64)));
  EXPECT_FALSE(c.valid_uncompressed(pt + '\x01'));
  EXPECT_FALSE(c.valid_uncompressed(""));
  std::string zeros(65, '\0');
  zeros[0] = 0x04;
  EXPECT_FALSE(c.valid_uncompressed(zeros));
  // A failed check leaves nothing on the thread's OpenSSL error queue.
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_TRUE(c.valid_uncompressed(pt));
}

}  // namespace
}  // namespace pushgw::crypto
