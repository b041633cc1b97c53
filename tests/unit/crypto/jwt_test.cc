#include "crypto/jwt.h"

#include "test_util.h"

namespace pushgw::crypto {
namespace {

using test::must;

class Jwt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ec_ = must(generate_p256()).release();
    rsa_ = must(generate_rsa(2048)).release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(ec_);
    EVP_PKEY_free(rsa_);
  }
  static EVP_PKEY* ec_;
  static EVP_PKEY* rsa_;
};
EVP_PKEY* Jwt::ec_ = nullptr;
EVP_PKEY* Jwt::rsa_ = nullptr;

std::string part(std::string_view jwt, int i) {
  size_t a = 0;
  for (int k = 0; k < i; ++k) a = jwt.find('.', a) + 1;
  size_t b = jwt.find('.', a);
  return std::string(jwt.substr(a, b == std::string_view::npos ? jwt.npos : b - a));
}

std::string unsigned_jwt(std::string_view header, std::string_view claims, std::string_view sig) {
  return base::base64url_encode(header) + "." + base::base64url_encode(claims) + "." +
         base::base64url_encode(sig);
}

TEST_F(Jwt, Es256RawSignatureVerifiesWithPlainOpenSsl) {
  auto pub = test::public_only(ec_);
  for (std::string data :
       {std::string(), std::string("a"), std::string("header.claims"), std::string(5000, 'x')}) {
    auto sig = es256_sign_raw(ec_, data);
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    ASSERT_EQ(sig->size(), 64u);
    EXPECT_TRUE(test::openssl_verify_es256(pub.get(), data, *sig));
    EXPECT_TRUE(es256_verify_raw(pub.get(), data, *sig));
    EXPECT_FALSE(test::openssl_verify_es256(pub.get(), data + "!", *sig));
    EXPECT_FALSE(es256_verify_raw(pub.get(), data + "!", *sig));
  }
}

TEST_F(Jwt, Es256RejectsBadSignaturesAndWrongKeys) {
  auto sig = es256_sign_raw(ec_, "data").value();
  auto pub = test::public_only(ec_);
  std::string flipped = sig;
  flipped[40] = static_cast<char>(flipped[40] ^ 1);
  EXPECT_FALSE(es256_verify_raw(pub.get(), "data", flipped));
  EXPECT_FALSE(es256_verify_raw(pub.get(), "data", sig.substr(0, 63)));
  EXPECT_FALSE(es256_verify_raw(pub.get(), "data", std::string(64, '\0')));
  auto other = must(generate_p256());
  EXPECT_FALSE(es256_verify_raw(other.get(), "data", sig));
  EXPECT_FALSE(es256_verify_raw(rsa_, "data", sig));
  auto r = es256_sign_raw(rsa_, "data");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_key");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(Jwt, Rs256SignsAndVerifies) {
  auto sig = rs256_sign(rsa_, "payload").value();
  EXPECT_EQ(sig.size(), 256u);
  auto pub = test::public_only(rsa_);
  EXPECT_TRUE(test::openssl_verify_rs256(pub.get(), "payload", sig));
  EXPECT_TRUE(rs256_verify(pub.get(), "payload", sig));
  EXPECT_FALSE(rs256_verify(pub.get(), "payloaD", sig));
  EXPECT_FALSE(rs256_verify(ec_, "payload", sig));
  EXPECT_EQ(rs256_sign(ec_, "x").error().code, "bad_key");
}

TEST_F(Jwt, Es256JwtHasExpectedShapeAndVerifies) {
  std::string h = apns_jwt_header("KEY1234567");
  std::string c = apns_jwt_claims("ABCDE12345", 1700000000);
  EXPECT_EQ(h, R"({"alg":"ES256","kid":"KEY1234567"})");
  EXPECT_EQ(c, R"({"iss":"ABCDE12345","iat":1700000000})");
  std::string jwt = jwt_sign(ec_, "ES256", h, c).value();
  EXPECT_EQ(base::base64url_decode(part(jwt, 0)).value(), h);
  EXPECT_EQ(base::base64url_decode(part(jwt, 1)).value(), c);
  EXPECT_EQ(jwt.find('='), std::string::npos);
  // Independent check: the signature over "h.c" verifies with plain OpenSSL.
  std::string sig = base::base64url_decode(part(jwt, 2)).value();
  auto pub = test::public_only(ec_);
  EXPECT_TRUE(test::openssl_verify_es256(pub.get(), part(jwt, 0) + "." + part(jwt, 1), sig));
  EXPECT_TRUE(jwt_verify(jwt, pub.get()));

  auto parts = jwt_decode(jwt).value();
  EXPECT_EQ(parts.header_json, h);
  EXPECT_EQ(parts.claims_json, c);
  EXPECT_EQ(parts.signature, sig);
  EXPECT_EQ(parts.signing_input, jwt.substr(0, jwt.rfind('.')));
}

TEST_F(Jwt, VerifyRejectsNoneOtherAlgsWrongKeysAndTampering) {
  auto pub = test::public_only(ec_);
  std::string h = apns_jwt_header("K");
  std::string c = apns_jwt_claims("T", 1);
  std::string jwt = jwt_sign(ec_, "ES256", h, c).value();
  ASSERT_TRUE(jwt_verify(jwt, pub.get()));
  std::string sig = base::base64url_decode(part(jwt, 2)).value();

  EXPECT_FALSE(jwt_verify(unsigned_jwt(R"({"alg":"none"})", c, ""), pub.get()));
  EXPECT_FALSE(jwt_verify(unsigned_jwt(R"({"alg":"none"})", c, sig), pub.get()));
  EXPECT_FALSE(jwt_verify(unsigned_jwt(R"({"alg":"HS256"})", c, sig), pub.get()));
  EXPECT_FALSE(jwt_verify(unsigned_jwt(R"({"kid":"K"})", c, sig), pub.get()));
  // Same signature, claims changed.
  EXPECT_FALSE(jwt_verify(
      part(jwt, 0) + "." + base::base64url_encode(apns_jwt_claims("T", 2)) + "." + part(jwt, 2),
      pub.get()));
  // Header changed to a different alg spelling of the same key.
  EXPECT_FALSE(jwt_verify(base::base64url_encode(R"({"alg":"RS256","kid":"K"})") + "." +
                              part(jwt, 1) + "." + part(jwt, 2),
                          pub.get()));
  auto other = must(generate_p256());
  EXPECT_FALSE(jwt_verify(jwt, other.get()));
  EXPECT_FALSE(jwt_verify(jwt, rsa_));
  EXPECT_FALSE(jwt_verify(jwt + "x", pub.get()));
  EXPECT_FALSE(jwt_verify(jwt + "=", pub.get()));
  EXPECT_FALSE(jwt_verify(jwt.substr(0, jwt.rfind('.')), pub.get()));
  EXPECT_FALSE(jwt_verify("", pub.get()));
}

TEST_F(Jwt, SignRejectsUnknownAlgAndMismatchedKey) {
  EXPECT_EQ(jwt_sign(ec_, "none", "{}", "{}").error().code, "bad_alg");
  EXPECT_EQ(jwt_sign(ec_, "HS256", "{}", "{}").error().code, "bad_alg");
  EXPECT_EQ(jwt_sign(ec_, "RS256", "{}", "{}").error().code, "bad_key");
  EXPECT_EQ(jwt_sign(rsa_, "ES256", "{}", "{}").error().code, "bad_key");
}

TEST_F(Jwt, DecodeRejectsMalformedTokens) {
  const std::string h = base::base64url_encode("{}");
  for (std::string bad : {std::string(""), std::string("a.b"), h + "." + h + "." + ".", h + "." + h,
                          "!!." + h + ".", h + "." + base::base64url_encode("[]") + ".",
                          base::base64url_encode("x") + "." + h + ".", h + "=." + h + "."}) {
    auto r = jwt_decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_jwt");
  }
  EXPECT_TRUE(jwt_decode(h + "." + h + ".").ok());  // unsigned: decodes, never verifies
}

TEST_F(Jwt, ClaimsAreEscaped) {
  std::string c = apns_jwt_claims("A\"B\\C\n", -5);
  test::Json j(c);
  EXPECT_EQ(j.str("iss"), "A\"B\\C\n");
  EXPECT_EQ(j.num("iat"), -5);
  test::Json h(apns_jwt_header("k\"id"));
  EXPECT_EQ(h.str("kid"), "k\"id");
  EXPECT_EQ(h.str("alg"), "ES256");
}

TEST_F(Jwt, GoogleAssertionClaimsAndSignature) {
  const int64_t iat = 1'760'000'000;
  auto jwt = google_assertion(rsa_, "svc@proj.iam.gserviceaccount.com",
                              "https://www.googleapis.com/auth/firebase.messaging",
                              "https://oauth2.googleapis.com/token", iat);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  auto parts = jwt_decode(*jwt).value();
  test::Json h(parts.header_json);
  EXPECT_EQ(h.str("alg"), "RS256");
  EXPECT_EQ(h.str("typ"), "JWT");
  EXPECT_EQ(h.size(), 2u);
  test::Json c(parts.claims_json);
  EXPECT_EQ(c.str("iss"), "svc@proj.iam.gserviceaccount.com");
  EXPECT_EQ(c.str("scope"), "https://www.googleapis.com/auth/firebase.messaging");
  EXPECT_EQ(c.str("aud"), "https://oauth2.googleapis.com/token");
  EXPECT_EQ(c.num("iat"), iat);
  EXPECT_EQ(c.num("exp"), iat + 3600);
  EXPECT_EQ(c.size(), 5u);
  auto pub = test::public_only(rsa_);
  EXPECT_TRUE(test::openssl_verify_rs256(pub.get(), parts.signing_input, parts.signature));
  EXPECT_TRUE(jwt_verify(*jwt, pub.get()));
  EXPECT_FALSE(jwt_verify(*jwt, ec_));
  EXPECT_EQ(google_assertion(ec_, "a", "b", "c", 1).error().code, "bad_key");
}

}  // namespace
}  // namespace pushgw::crypto
