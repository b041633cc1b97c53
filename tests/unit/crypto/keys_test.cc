#include <openssl/encoder.h>

#include <set>

#include "test_util.h"

namespace pushgw::crypto {
namespace {

using test::b64;
using test::hex;
using test::must;

// `openssl ecparam -name prime256v1 -genkey` output: a parameters block first.
constexpr std::string_view kSec1WithParams = R"(-----BEGIN EC PARAMETERS-----
BggqhkjOPQMBBw==
-----END EC PARAMETERS-----
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIHJtoRAO/w30Fwlpxr9kh5S2zrtWP92FrsI3H9cUASrcoAoGCCqGSM49
AwEHoUQDQgAENPschPDujA7+pz4h2RmagWwda0ypXqDV6aoGs8P9YyaelBoO4zuS
k2mzXLkhAMr6w9aYeVsKYVZFPCTnemx/MQ==
-----END EC PRIVATE KEY-----
)";
// The same key without its optional public part, and with it compressed.
constexpr std::string_view kSec1NoPublic = R"(-----BEGIN EC PRIVATE KEY-----
MDECAQEEIHJtoRAO/w30Fwlpxr9kh5S2zrtWP92FrsI3H9cUASrcoAoGCCqGSM49
AwEH
-----END EC PRIVATE KEY-----
)";
constexpr std::string_view kSec1Compressed = R"(-----BEGIN EC PRIVATE KEY-----
MFcCAQEEIHJtoRAO/w30Fwlpxr9kh5S2zrtWP92FrsI3H9cUASrcoAoGCCqGSM49
AwEHoSQDIgADNPschPDujA7+pz4h2RmagWwda0ypXqDV6aoGs8P9YyY=
-----END EC PRIVATE KEY-----
)";
constexpr std::string_view kSec1Public =
    "0434fb1c84f0ee8c0efea73e21d9199a816c1d6b4ca95ea0d5e9aa06b3c3fd63269e941a0ee33b929369b35cb92100"
    "cafac3d698795b0a6156453c24e77a6c7f31";
constexpr std::string_view kSpkiPublic = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENPschPDujA7+pz4h2RmagWwda0yp
XqDV6aoGs8P9YyaelBoO4zuSk2mzXLkhAMr6w9aYeVsKYVZFPCTnemx/MQ==
-----END PUBLIC KEY-----
)";
constexpr std::string_view kP384 = R"(-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDDcKdHhPB8yNfbcxuExLFMdVMui45zoYuzdgS76Q7BHYESJYeuU2DRI
N4UtkoTE/VGgBwYFK4EEACKhZANiAASWG9L8ixtMTClP6FHfkh6pU1n5WhXgg1Ra
jAHXeCeo3ELbX9+e2VJwzwZkcjrGALBS07DvTEAgFdjz1dLVjeEJXc373XOowsRg
j4aSS8AxNP/5JfNq2KBc6rxMel6Zjx0=
-----END EC PRIVATE KEY-----
)";
// P-256, PKCS#8 encrypted with password "secret": must fail, never prompt.
constexpr std::string_view kEncrypted = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjNDkOZtkEGZgICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEAT1QUmVbNpAUDR0SPe3WEEEgZAH
bkTfoUOHjxbHc70FEYfuHSvFyefcnc2j30w/JoBmguJF/NMyiW4/73a27NjVO6ZS
T1l42fkLEk2/c2kKE5fqOQdKrdEMYkFF7OPgxwg1CDbCskYL587D6udWxp2xrjdB
mcAmjHkwdpp9w4zhg2jzexr/13WPwv9NphQJQIvgVoWL5ggk2+aULG8ahPgLbpk=
-----END ENCRYPTED PRIVATE KEY-----
)";

// Type-specific PEM (SEC1 for EC, PKCS#1 for RSA) via OpenSSL's encoder.
std::string traditional_pem(EVP_PKEY* key) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "PEM", "type-specific", nullptr);
  unsigned char* data = nullptr;
  size_t len = 0;
  EXPECT_EQ(OSSL_ENCODER_to_data(ctx, &data, &len), 1);
  OSSL_ENCODER_CTX_free(ctx);
  std::string out(reinterpret_cast<char*>(data), len);
  OPENSSL_free(data);
  return out;
}

template <class T>
void expect_error(const Result<T>& r, const char* code) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().message;
}

TEST(Keys, LoadsSec1AfterParametersBlock) {
  auto key = must(load_private_key_pem(kSec1WithParams));
  ASSERT_TRUE(key);
  EXPECT_TRUE(is_p256(key.get()));
  EXPECT_FALSE(is_rsa(key.get()));
  EXPECT_EQ(base::hex_encode(p256_public_uncompressed(key.get()).value()), kSec1Public);
}

TEST(Keys, Sec1WithoutOrCompressedPublicStillGivesUncompressedPoint) {
  for (auto pem : {kSec1NoPublic, kSec1Compressed}) {
    auto key = must(load_private_key_pem(pem));
    ASSERT_TRUE(key);
    EXPECT_EQ(base::hex_encode(p256_public_uncompressed(key.get()).value()), kSec1Public);
  }
}

TEST(Keys, Pkcs8RoundTripKeepsTheKey) {
  auto key = must(generate_p256());
  std::string pem = private_key_to_pem(key.get());
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto again = must(load_private_key_pem(pem));
  EXPECT_EQ(p256_public_uncompressed(again.get()).value(),
            p256_public_uncompressed(key.get()).value());
  std::string pub = public_key_to_pem(key.get());
  EXPECT_NE(pub.find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  auto pub_key = must(load_public_key_pem(pub));
  EXPECT_TRUE(is_p256(pub_key.get()));
  EXPECT_EQ(p256_public_uncompressed(pub_key.get()).value(),
            p256_public_uncompressed(key.get()).value());
}

TEST(Keys, LoadsRsaPkcs1AndPkcs8) {
  auto rsa = must(generate_rsa(2048));
  ASSERT_TRUE(rsa);
  EXPECT_TRUE(is_rsa(rsa.get()));
  EXPECT_FALSE(is_p256(rsa.get()));
  std::string pkcs1 = traditional_pem(rsa.get());
  EXPECT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  std::string pkcs8 = private_key_to_pem(rsa.get());
  for (const auto& pem : {pkcs1, pkcs8}) {
    auto k = must(load_private_key_pem(pem));
    ASSERT_TRUE(k);
    EXPECT_TRUE(is_rsa(k.get()));
    EXPECT_EQ(EVP_PKEY_eq(k.get(), rsa.get()), 1);
  }
  auto pub = must(load_public_key_pem(public_key_to_pem(rsa.get())));
  EXPECT_TRUE(is_rsa(pub.get()));
}

TEST(Keys, LoadsSec1FromEncoder) {
  auto key = must(generate_p256());
  std::string sec1 = traditional_pem(key.get());
  EXPECT_NE(sec1.find("BEGIN EC PRIVATE KEY"), std::string::npos);
  auto again = must(load_private_key_pem(sec1));
  EXPECT_EQ(EVP_PKEY_eq(again.get(), key.get()), 1);
}

TEST(Keys, RejectsOtherCurvesGarbageEncryptedAndPublicAsPrivate) {
  expect_error(load_private_key_pem(kP384), "bad_key");
  expect_error(load_private_key_pem("not a key"), "bad_key");
  expect_error(load_private_key_pem(""), "bad_key");
  expect_error(load_private_key_pem(kEncrypted), "bad_key");
  expect_error(load_private_key_pem(kSpkiPublic), "bad_key");
  expect_error(load_public_key_pem(kSec1WithParams), "bad_key");
  expect_error(generate_rsa(512), "bad_key");
  // A failed load leaves no stale entry in the thread's OpenSSL error queue.
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Keys, PublicFromUncompressedRoundTrips) {
  auto key = must(generate_p256());
  std::string pt = p256_public_uncompressed(key.get()).value();
  ASSERT_EQ(pt.size(), 65u);
  EXPECT_EQ(pt[0], '\x04');
  auto pub = must(p256_from_public_uncompressed(pt));
  EXPECT_TRUE(is_p256(pub.get()));
  EXPECT_EQ(p256_public_uncompressed(pub.get()).value(), pt);
}

TEST(Keys, PublicFromUncompressedRejectsBadPoints) {
  std::string good = hex(kSec1Public);
  ASSERT_TRUE(p256_from_public_uncompressed(good).ok());
  std::string off_curve = good;
  off_curve[64] = static_cast<char>(off_curve[64] ^ 1);  // Y changed: not on the curve
  expect_error(p256_from_public_uncompressed(off_curve), "bad_key");
  std::string x_changed = good;
  x_changed[5] = static_cast<char>(x_changed[5] ^ 0x40);
  expect_error(p256_from_public_uncompressed(x_changed), "bad_key");
  expect_error(p256_from_public_uncompressed(good.substr(0, 64)), "bad_key");
  expect_error(p256_from_public_uncompressed(good + "\x01"), "bad_key");
  expect_error(p256_from_public_uncompressed(""), "bad_key");
  std::string compressed = good.substr(0, 33);
  compressed[0] = static_cast<char>(0x02 | (good[64] & 1));
  expect_error(p256_from_public_uncompressed(compressed), "bad_key");
  std::string wrong_prefix = good;
  wrong_prefix[0] = 0x06;  // hybrid encoding
  expect_error(p256_from_public_uncompressed(wrong_prefix), "bad_key");
  expect_error(p256_from_public_uncompressed(std::string(65, '\0')), "bad_key");
  std::string zeros(65, '\0');
  zeros[0] = 0x04;  // (0,0) is not on P-256
  expect_error(p256_from_public_uncompressed(zeros), "bad_key");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Keys, PrivateScalarGivesMatchingPublicKey) {
  // RFC 8291 Appendix A: as_private and the as_public the RFC lists for it.
  auto key = must(p256_from_private_scalar(b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")));
  ASSERT_TRUE(key);
  EXPECT_EQ(
      base::base64url_encode(p256_public_uncompressed(key.get()).value()),
      "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8");
  expect_error(p256_from_private_scalar(std::string(32, '\0')), "bad_key");
  expect_error(p256_from_private_scalar(std::string(32, '\xff')), "bad_key");  // >= n
  expect_error(p256_from_private_scalar(std::string(31, '\x01')), "bad_key");
}

TEST(Keys, EcdhMatchesRfc8291VectorAndIsSymmetric) {
  auto as = must(p256_from_private_scalar(b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")));
  auto ua = must(p256_from_private_scalar(b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")));
  auto ua_pub = must(p256_from_public_uncompressed(p256_public_uncompressed(ua.get()).value()));
  auto as_pub = must(p256_from_public_uncompressed(p256_public_uncompressed(as.get()).value()));
  const std::string expected = b64("kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs");
  for (bool validate : {true, false}) {
    EXPECT_EQ(ecdh_p256(as.get(), ua_pub.get(), validate).value(), expected);
    EXPECT_EQ(ecdh_p256(ua.get(), as_pub.get(), validate).value(), expected);
  }
  // A public-only key cannot act as the private side.
  EXPECT_FALSE(ecdh_p256(ua_pub.get(), as_pub.get(), false).ok());
  EXPECT_FALSE(ecdh_p256(nullptr, as_pub.get(), false).ok());
}

// One key object refilled per subscription: after each assignment it is that
// subscription's key (same ECDH result as a freshly imported one), a bad
// point is refused with the same errors, and the slot is usable again after.
TEST(Keys, PublicSlotTakesEachAssignedPoint) {
  auto as = must(generate_p256());
  auto slot = must(p256_public_slot());
  std::string good = hex(kSec1Public);
  std::string off_curve = good;
  off_curve[64] = static_cast<char>(off_curve[64] ^ 1);
  for (int i = 0; i < 3; ++i) {
    auto ua = must(generate_p256());
    const std::string ua65 = p256_public_uncompressed(ua.get()).value();
    ASSERT_TRUE(p256_assign_public_uncompressed(slot.get(), ua65).ok());
    EXPECT_EQ(p256_public_uncompressed(slot.get()).value(), ua65);
    const std::string fresh =
        ecdh_p256(as.get(), must(p256_from_public_uncompressed(ua65)).get(), false).value();
    EXPECT_EQ(ecdh_p256(as.get(), slot.get(), false).value(), fresh);
    EXPECT_EQ(ecdh_p256(ua.get(), must(p256_from_public_uncompressed(
                                            p256_public_uncompressed(as.get()).value())).get(), false)
                  .value(),
              fresh);
    expect_error(p256_assign_public_uncompressed(slot.get(), off_curve), "bad_key");
    expect_error(p256_assign_public_uncompressed(slot.get(), good.substr(0, 64)), "bad_key");
    expect_error(p256_assign_public_uncompressed(nullptr, good), "bad_key");
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

// The buffer form gives the same secret as the string form.
TEST(Keys, EcdhIntoBufferMatches) {
  auto as = must(generate_p256());
  auto ua = must(generate_p256());
  auto ua_pub = must(p256_from_public_uncompressed(p256_public_uncompressed(ua.get()).value()));
  unsigned char out[32] = {};
  ASSERT_TRUE(ecdh_p256(as.get(), ua_pub.get(), false, out).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out), 32), ecdh_p256(as.get(), ua_pub.get(), false).value());
  EXPECT_FALSE(ecdh_p256(ua_pub.get(), ua_pub.get(), false, out).ok());
}

TEST(Keys, HmacSha256KnownAnswers) {
  // RFC 4231 test case 2.
  EXPECT_EQ(base::hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Empty key and data.
  EXPECT_EQ(base::hex_encode(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Keys, RandomBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    auto r = random_bytes(16);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 16u);
    seen.insert(*r);
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(random_bytes(0).value(), "");
}

}  // namespace
}  // namespace pushgw::crypto
