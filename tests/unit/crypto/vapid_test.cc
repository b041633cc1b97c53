#include "crypto/vapid.h"

#include "crypto/jwt.h"
#include "test_util.h"

namespace pushgw::crypto {
namespace {

using test::must;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kHour = 3600 * 1000;

struct Fixture {
  EvpPkeyPtr key = must(generate_p256());
  VapidSigner signer =
      VapidSigner::create(private_key_to_pem(key.get()), "mailto:ops@example.com").value();
};

// Splits "vapid t=<jwt>, k=<key>".
std::pair<std::string, std::string> split(const std::string& h) {
  EXPECT_EQ(h.rfind("vapid t=", 0), 0u) << h;
  size_t k = h.find(", k=");
  EXPECT_NE(k, std::string::npos) << h;
  return {h.substr(8, k - 8), h.substr(k + 4)};
}

TEST(Vapid, HeaderFormatClaimsAndSignature) {
  Fixture f;
  const std::string h = f.signer.authorization("https://push.example.net", kT0);
  auto [jwt, k] = split(h);
  EXPECT_EQ(k, base::base64url_encode(p256_public_uncompressed(f.key.get()).value()));
  EXPECT_EQ(k, f.signer.public_key_b64url());
  auto pub = must(p256_from_public_uncompressed(base::base64url_decode(k).value()));
  EXPECT_TRUE(jwt_verify(jwt, pub.get()));
  auto parts = jwt_decode(jwt).value();
  EXPECT_TRUE(test::openssl_verify_es256(pub.get(), parts.signing_input, parts.signature));
  test::Json hdr(parts.header_json);
  EXPECT_EQ(hdr.str("alg"), "ES256");
  EXPECT_EQ(hdr.str("typ"), "JWT");
  test::Json c(parts.claims_json);
  EXPECT_EQ(c.str("aud"), "https://push.example.net");
  EXPECT_EQ(c.str("sub"), "mailto:ops@example.com");
  const int64_t exp = c.num("exp");
  EXPECT_GT(exp, kT0 / 1000 + 3600);
  EXPECT_LE(exp, kT0 / 1000 + 24 * 3600);
  EXPECT_EQ(exp, kT0 / 1000 + 12 * 3600);
}

TEST(Vapid, CachesPerOriginAndRenewsWithUnderAnHourLeft) {
  Fixture f;
  const std::string a = f.signer.authorization("https://a.example", kT0);
  EXPECT_EQ(f.signer.signatures(), 1u);
  EXPECT_EQ(f.signer.authorization("https://a.example", kT0 + kHour), a);
  const std::string b = f.signer.authorization("https://b.example:8443", kT0);
  EXPECT_EQ(f.signer.signatures(), 2u);
  EXPECT_NE(a, b);
  test::Json cb(jwt_decode(split(b).first).value().claims_json);
  EXPECT_EQ(cb.str("aud"), "https://b.example:8443");
  // exp = T0 + 12h: still 1h+ left at 11h, renewed after that.
  EXPECT_EQ(f.signer.authorization("https://a.example", kT0 + 11 * kHour), a);
  EXPECT_EQ(f.signer.signatures(), 2u);
  const std::string a2 = f.signer.authorization("https://a.example", kT0 + 11 * kHour + 1000);
  EXPECT_NE(a2, a);
  EXPECT_EQ(f.signer.signatures(), 3u);
  test::Json c2(jwt_decode(split(a2).first).value().claims_json);
  EXPECT_EQ(c2.num("exp"), (kT0 + 11 * kHour + 1000) / 1000 + 12 * 3600);
  EXPECT_EQ(f.signer.authorization("https://a.example", kT0 + 12 * kHour), a2);
  EXPECT_EQ(f.signer.signatures(), 3u);
}

TEST(Vapid, ClockSteppingBackNeverYieldsExpBeyondTwentyFourHours) {
  Fixture f;
  const std::string a = f.signer.authorization("https://a.example", kT0);
  const int64_t earlier = kT0 - 13 * kHour;
  const std::string b = f.signer.authorization("https://a.example", earlier);
  EXPECT_NE(a, b);
  test::Json c(jwt_decode(split(b).first).value().claims_json);
  EXPECT_LE(c.num("exp") - earlier / 1000, 24 * 3600);
}

TEST(Vapid, CreateValidatesSubjectAndKey) {
  auto key = must(generate_p256());
  const std::string pem = private_key_to_pem(key.get());
  EXPECT_TRUE(VapidSigner::create(pem, "https://shop.example/contact").ok());
  for (const char* bad : {"", "ops@example.com", "http://x", "mailto", "MAILTO:x"}) {
    auto r = VapidSigner::create(pem, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_config");
  }
  auto rsa = must(generate_rsa(1024));
  auto r = VapidSigner::create(private_key_to_pem(rsa.get()), "mailto:a@b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_key");
  r = VapidSigner::create("garbage", "mailto:a@b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_key");
}

TEST(Vapid, CacheIsBounded) {
  Fixture f;
  for (size_t i = 0; i < VapidSigner::kMaxOrigins + 10; ++i)
    EXPECT_FALSE(f.signer.authorization("https://h" + std::to_string(i) + ".example", kT0).empty());
  EXPECT_EQ(f.signer.signatures(), VapidSigner::kMaxOrigins + 10);
}

}  // namespace
}  // namespace pushgw::crypto
