#include "crypto/ece.h"

#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "test_util.h"

namespace pushgw::crypto {
namespace {

using test::b64;
using test::must;

// RFC 8291 Appendix A / §5.
struct Rfc8291 {
  std::string plaintext = "When I grow up, I want to be a watermelon";
  std::string auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
  std::string salt = b64("DGv6ra1nlYgDCS1FRnbzlw");
  EvpPkeyPtr as =
      must(p256_from_private_scalar(b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")));
  EvpPkeyPtr ua =
      must(p256_from_private_scalar(b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")));
  std::string ua65 = p256_public_uncompressed(ua.get()).value();
  std::string as65 = p256_public_uncompressed(as.get()).value();
  EvpPkeyPtr ua_pub = must(p256_from_public_uncompressed(ua65));
  std::string body = b64(
      "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS"
      "6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Q"
      "ulcy4a-fN");
};

// A subscriber: private key (for decrypting), validated public key, auth.
struct Subscriber {
  EvpPkeyPtr priv = must(generate_p256());
  std::string pub65 = p256_public_uncompressed(priv.get()).value();
  EvpPkeyPtr pub = must(p256_from_public_uncompressed(pub65));
  std::string auth = random_bytes(16).value();
};

EceEncryptor make_encryptor() {
  auto e = EceEncryptor::create();
  EXPECT_TRUE(e.ok());
  return std::move(e).value();
}

// AES-128-GCM with the test's own OpenSSL calls, to forge bodies with
// chosen padding under the RFC's CEK/NONCE.
std::string gcm_seal(std::string_view key, std::string_view iv, std::string_view pt) {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string out(pt.size() + 16, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, m = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr,
                               reinterpret_cast<const unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(iv.data())),
            1);
  EXPECT_EQ(EVP_EncryptUpdate(c, o, &n, reinterpret_cast<const unsigned char*>(pt.data()),
                              static_cast<int>(pt.size())),
            1);
  EXPECT_EQ(EVP_EncryptFinal_ex(c, o + n, &m), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, o + pt.size()), 1);
  EVP_CIPHER_CTX_free(c);
  return out;
}

template <class T>
void expect_code(const Result<T>& r, const char* code) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().message;
}

TEST(Ece, Rfc8291KeysAndIntermediateValues) {
  Rfc8291 v;
  EXPECT_EQ(
      base::base64url_encode(v.ua65),
      "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
  const std::string ecdh = ecdh_p256(v.as.get(), v.ua_pub.get(), false).value();
  EXPECT_EQ(base::base64url_encode(ecdh), "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs");
  const std::string prk_key = hmac_sha256(v.auth, ecdh);
  EXPECT_EQ(base::base64url_encode(prk_key), "Snr3JMxaHVDXHWJn5wdC52WjpCtd2EIEGBykDcZW32k");
  const std::string key_info = std::string("WebPush: info\0", 14) + v.ua65 + v.as65 + "\x01";
  const std::string ikm = hmac_sha256(prk_key, key_info);
  EXPECT_EQ(base::base64url_encode(ikm), "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg");
  const std::string prk = hmac_sha256(v.salt, ikm);
  EXPECT_EQ(base::base64url_encode(prk), "09_eUZGrsvxChDCGRCdkLiDXrReGOEVeSCdCcPBSJSc");
  EXPECT_EQ(
      base::base64url_encode(
          hmac_sha256(prk, std::string("Content-Encoding: aes128gcm\0\x01", 29)).substr(0, 16)),
      "oIhVW04MRdy2XN9CiKLxTg");
  EXPECT_EQ(base::base64url_encode(
                hmac_sha256(prk, std::string("Content-Encoding: nonce\0\x01", 25)).substr(0, 12)),
            "4h_95klXJ5E_qnoN");
}

TEST(Ece, Rfc8291BodyReproducedExactly) {
  Rfc8291 v;
  ASSERT_EQ(v.body.size(), 144u);  // 86 header + 41 plaintext + 1 + 16
  std::string body;
  auto r = webpush_encrypt(v.plaintext, v.ua_pub.get(), v.ua65, v.auth, body, v.as.get(), v.salt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(base::base64url_encode(body), base::base64url_encode(v.body));
  auto enc = make_encryptor();
  std::string again = "stale contents are replaced";
  ASSERT_TRUE(
      enc.encrypt(v.plaintext, v.ua_pub.get(), v.ua65, v.auth, again, v.as.get(), v.salt).ok());
  EXPECT_EQ(again, v.body);
}

TEST(Ece, Rfc8291BodyDecrypts) {
  Rfc8291 v;
  EXPECT_EQ(webpush_decrypt(v.body, v.ua.get(), v.auth).value(), v.plaintext);
  auto enc = make_encryptor();
  EXPECT_EQ(enc.decrypt(v.body, v.ua.get(), v.auth).value(), v.plaintext);
}

TEST(Ece, PaddingDelimiterIsChecked) {
  Rfc8291 v;
  const std::string cek = b64("oIhVW04MRdy2XN9CiKLxTg");
  const std::string nonce = b64("4h_95klXJ5E_qnoN");
  const std::string header = v.body.substr(0, kEceHeaderSize);
  auto enc = make_encryptor();
  // Our own seal of the RFC plaintext matches the RFC ciphertext.
  EXPECT_EQ(header + gcm_seal(cek, nonce, v.plaintext + "\x02"), v.body);
  // Extra zero padding after the delimiter is accepted and stripped.
  EXPECT_EQ(
      enc.decrypt(header + gcm_seal(cek, nonce, std::string("abc\x02\0\0", 6)), v.ua.get(), v.auth)
          .value(),
      "abc");
  // 0x01 marks a non-final record: not valid for a single-record body.
  expect_code(enc.decrypt(header + gcm_seal(cek, nonce, "abc\x01"), v.ua.get(), v.auth),
              "decrypt_failed");
  expect_code(enc.decrypt(header + gcm_seal(cek, nonce, "abc"), v.ua.get(), v.auth),
              "decrypt_failed");
  expect_code(enc.decrypt(header + gcm_seal(cek, nonce, std::string(3, '\0')), v.ua.get(), v.auth),
              "decrypt_failed");
}

TEST(Ece, RoundTripWithFreshKeysAndSalt) {
  Subscriber s;
  auto enc = make_encryptor();
  std::set<std::string> headers;
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{100},
                   size_t{1000}, size_t{3000}, kEceMaxPlaintext}) {
    std::string pt(n, '\0');
    for (size_t i = 0; i < n; ++i) pt[i] = static_cast<char>(i * 7 + 3);
    std::string body;
    auto r = enc.encrypt(pt, s.pub.get(), s.pub65, s.auth, body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(body.size(), kEceHeaderSize + n + 17);
    EXPECT_EQ(body.substr(16, 5), std::string("\x00\x00\x10\x00\x41", 5));  // rs 4096, idlen 65
    headers.insert(body.substr(0, 16));                                     // salt
    headers.insert(body.substr(21, 65));                                    // ephemeral key
    EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), pt);
    EXPECT_EQ(webpush_decrypt(body, s.priv.get(), s.auth).value(), pt);
  }
  EXPECT_EQ(headers.size(), 2u * 9u);  // no salt or ephemeral key repeats
}

TEST(Ece, SizeLimit) {
  Subscriber s;
  auto enc = make_encryptor();
  std::string body;
  ASSERT_TRUE(enc.encrypt(std::string(3993, 'a'), s.pub.get(), s.pub65, s.auth, body).ok());
  EXPECT_EQ(body.size(), 4096u);
  auto r = enc.encrypt(std::string(3994, 'a'), s.pub.get(), s.pub65, s.auth, body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "payload_too_large");
  r = webpush_encrypt(std::string(3994, 'a'), s.pub.get(), s.pub65, s.auth, body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "payload_too_large");
}

TEST(Ece, BadInputsToEncrypt) {
  Subscriber s;
  auto enc = make_encryptor();
  std::string body;
  EXPECT_EQ(enc.encrypt("x", s.pub.get(), s.pub65, s.auth.substr(0, 15), body).error().code,
            "bad_subscription");
  EXPECT_EQ(enc.encrypt("x", s.pub.get(), s.pub65.substr(1), s.auth, body).error().code,
            "bad_subscription");
  EXPECT_EQ(enc.encrypt("x", nullptr, s.pub65, s.auth, body).error().code, "bad_subscription");
  EXPECT_EQ(enc.encrypt("x", s.pub.get(), s.pub65, s.auth, body, nullptr, "short").error().code,
            "bad_salt");
  auto rsa = must(generate_rsa(1024));
  EXPECT_EQ(enc.encrypt("x", s.pub.get(), s.pub65, s.auth, body, rsa.get()).error().code,
            "bad_key");
  std::string off_curve = s.pub65;
  off_curve[64] = static_cast<char>(off_curve[64] ^ 1);
  EXPECT_EQ(enc.encrypt("x", s.pub.get(), off_curve, s.auth, body).error().code, "bad_subscription");
  EXPECT_EQ(enc.encrypt("x", off_curve, s.auth, body).error().code, "bad_subscription");
  // Still usable after errors.
  ASSERT_TRUE(enc.encrypt("x", s.pub.get(), s.pub65, s.auth, body).ok());
  EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), "x");
  ASSERT_TRUE(enc.encrypt("y", s.pub65, s.auth, body).ok());
  EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), "y");
  ASSERT_TRUE(enc.encrypt_validated("z", s.pub65, s.auth, body).ok());
  EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), "z");
  EXPECT_EQ(enc.encrypt_validated("z", s.pub65.substr(1), s.auth, body).error().code, "bad_subscription");
  EXPECT_EQ(enc.encrypt_validated("z", s.pub65, s.auth.substr(1), body).error().code, "bad_subscription");
  EXPECT_EQ(enc.encrypt_validated(std::string(3994, 'a'), s.pub65, s.auth, body).error().code, "payload_too_large");
  ASSERT_TRUE(enc.encrypt("x", s.pub.get(), s.pub65, s.auth, body).ok());
  EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), "x");
}

TEST(Ece, TamperedBodiesFail) {
  Subscriber s;
  auto enc = make_encryptor();
  std::string body;
  ASSERT_TRUE(enc.encrypt("secret message", s.pub.get(), s.pub65, s.auth, body).ok());
  auto flip = [&](size_t i) {
    std::string b = body;
    b[i] = static_cast<char>(b[i] ^ 0x01);
    return b;
  };
  // (rs is not authenticated by RFC 8188; its limits are checked below.)
  expect_code(enc.decrypt(flip(3), s.priv.get(), s.auth), "decrypt_failed");   // salt
  expect_code(enc.decrypt(flip(90), s.priv.get(), s.auth), "decrypt_failed");  // ciphertext
  expect_code(enc.decrypt(flip(body.size() - 1), s.priv.get(), s.auth), "decrypt_failed");  // tag
  EXPECT_FALSE(enc.decrypt(flip(40), s.priv.get(), s.auth).ok());  // key id
  expect_code(enc.decrypt(body.substr(0, body.size() - 1), s.priv.get(), s.auth), "decrypt_failed");
  expect_code(enc.decrypt(body.substr(0, kEceHeaderSize + 16), s.priv.get(), s.auth), "bad_body");
  expect_code(enc.decrypt("", s.priv.get(), s.auth), "bad_body");
  std::string wrong_auth = s.auth;
  wrong_auth[0] = static_cast<char>(wrong_auth[0] ^ 1);
  expect_code(enc.decrypt(body, s.priv.get(), wrong_auth), "decrypt_failed");
  Subscriber other;
  expect_code(enc.decrypt(body, other.priv.get(), s.auth), "decrypt_failed");
  EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), "secret message");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Ece, HeaderRulesOnDecrypt) {
  Subscriber s;
  auto enc = make_encryptor();
  std::string body;
  ASSERT_TRUE(enc.encrypt(std::string(100, 'p'), s.pub.get(), s.pub65, s.auth, body).ok());
  auto with = [&](size_t i, unsigned char v) {
    std::string b = body;
    b[i] = static_cast<char>(v);
    return b;
  };
  std::string rs17 = with(16, 0);
  rs17 = rs17.substr(0, 17) + std::string("\x00\x00\x11", 3) + rs17.substr(20);
  expect_code(enc.decrypt(rs17, s.priv.get(), s.auth), "bad_body");  // rs < 18
  std::string rs18 = rs17;
  rs18[19] = 18;
  expect_code(enc.decrypt(rs18, s.priv.get(), s.auth), "bad_body");  // 117 bytes > one record
  expect_code(enc.decrypt(with(20, 64), s.priv.get(), s.auth), "bad_body");    // idlen
  expect_code(enc.decrypt(with(21, 0x02), s.priv.get(), s.auth), "bad_body");  // compressed key id
}

// The raw-key form decodes each subscription into the encryptor's own key
// object: a message must be sealed for the subscription it names, never for
// the one before it, and a bad point must not leave the previous key usable.
TEST(Ece, RawKeyFormUsesTheSubscriptionOfEachMessage) {
  Subscriber a, b, c;
  auto enc = make_encryptor();
  std::string off_curve = b.pub65;
  off_curve[64] = static_cast<char>(off_curve[64] ^ 1);
  std::string body;
  for (int round = 0; round < 3; ++round) {
    for (Subscriber* s : {&a, &b, &a, &c}) {
      ASSERT_TRUE(enc.encrypt("for " + s->pub65.substr(1, 4), s->pub65, s->auth, body).ok());
      EXPECT_EQ(enc.decrypt(body, s->priv.get(), s->auth).value(), "for " + s->pub65.substr(1, 4));
      for (Subscriber* other : {&a, &b, &c})
        if (other != s) expect_code(enc.decrypt(body, other->priv.get(), s->auth), "decrypt_failed");
    }
    expect_code(enc.encrypt("x", off_curve, b.auth, body), "bad_subscription");
    expect_code(enc.encrypt("x", b.pub65.substr(1), b.auth, body), "bad_subscription");
    expect_code(enc.encrypt("x", b.pub65, b.auth.substr(1), body), "bad_subscription");
    expect_code(enc.encrypt(std::string(kEceMaxPlaintext + 1, 'a'), b.pub65, b.auth, body),
                "payload_too_large");
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

// Salts come from a buffer refilled every 64 messages: none repeats across
// refills, and every body still decrypts.
TEST(Ece, SaltsStayDistinctAcrossRefills) {
  Subscriber s;
  auto enc = make_encryptor();
  std::set<std::string> salts;
  std::string body;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(enc.encrypt("n" + std::to_string(i), s.pub65, s.auth, body).ok());
    salts.insert(body.substr(0, 16));
    EXPECT_EQ(enc.decrypt(body, s.priv.get(), s.auth).value(), "n" + std::to_string(i));
  }
  EXPECT_EQ(salts.size(), 200u);
  EXPECT_EQ(salts.count(std::string(16, '\0')), 0u);
}

// Sender threads each own an encryptor but share one validated subscription
// key (as a per-endpoint cache would hand it out).
TEST(Ece, ThreadsShareOneSubscriptionKey) {
  Subscriber s;
  constexpr int kThreads = 4;
  std::latch start(kThreads);
  std::vector<std::string> bodies(kThreads * 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto enc = EceEncryptor::create();
      ASSERT_TRUE(enc.ok());
      start.arrive_and_wait();
      for (int i = 0; i < 20; ++i) {
        auto& body = bodies[static_cast<size_t>(t * 20 + i)];
        auto r = enc->encrypt("m" + std::to_string(t * 20 + i), s.pub.get(), s.pub65, s.auth, body);
        EXPECT_TRUE(r.ok());
        auto again = p256_from_public_uncompressed(s.pub65);  // concurrent imports too
        EXPECT_TRUE(again.ok());
      }
    });
  for (auto& th : threads) th.join();
  auto enc = make_encryptor();
  for (size_t i = 0; i < bodies.size(); ++i)
    EXPECT_EQ(enc.decrypt(bodies[i], s.priv.get(), s.auth).value(), "m" + std::to_string(i));
}

}  // namespace
}  // namespace pushgw::crypto
