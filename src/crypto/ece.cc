#include "crypto/ece.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>

#include "crypto/keys.h"
#include "crypto/ossl.h"
#include "crypto/p256_ecdh.h"

namespace pushgw::crypto {

using detail::ossl_error;

namespace {

constexpr size_t kTag = 16;
constexpr size_t kSalt = 16;
constexpr size_t kPoint = 65;
constexpr size_t kAuth = 16;
constexpr std::string_view kKeyInfo{"WebPush: info\0", 14};
constexpr std::string_view kCekInfo{"Content-Encoding: aes128gcm\0\x01", 29};
constexpr std::string_view kNonceInfo{"Content-Encoding: nonce\0\x01", 25};
constexpr std::string_view kOne{"\x01", 1};
constexpr unsigned char kDelimiter = 0x02;  // padding delimiter of the last record

unsigned char* ubytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* ubytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
std::string_view view(const std::array<unsigned char, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

Result<void> check_sizes(std::string_view plaintext, std::string_view ua65, std::string_view auth16) {
  if (plaintext.size() > kEceMaxPlaintext)
    return make_error("payload_too_large", "Web Push plaintext over 3993 bytes");
  if (ua65.size() != kPoint || auth16.size() != kAuth)
    return make_error("bad_subscription", "p256dh must be 65 bytes and auth 16 bytes");
  return ok();
}

struct Keys {
  std::array<unsigned char, 16> cek{};
  std::array<unsigned char, 12> nonce{};
};

}  // namespace

struct EceEncryptor::Impl {
  detail::CipherPtr aes;
  detail::CipherCtxPtr enc, dec;
  detail::MacPtr mac;
  detail::MacCtxPtr hmac;
  std::optional<P256Ecdh> ecdh;  // the ephemeral key pair and ECDH; the peer refilled per message
  // Salts drawn from the RNG kSaltsPerDraw at a time: one DRBG call (and its
  // lock) per 64 messages instead of one per message. Salts are public (the
  // body carries them) and each is used once.
  static constexpr size_t kSaltsPerDraw = 64;
  std::array<unsigned char, kSalt * kSaltsPerDraw> salts{};
  size_t salt_next = salts.size();

  Result<void> init();
  bool hmac32(std::string_view key, std::initializer_list<std::string_view> parts,
              std::array<unsigned char, 32>& out);
  bool next_salt(unsigned char* out16);
  Result<Keys> derive(std::string_view ecdh, std::string_view auth16, std::string_view ua65,
                      std::string_view as65v, std::string_view salt16);
  // Peer::AlreadyValidated: see EceEncryptor::encrypt_validated.
  enum class Peer { Check, AlreadyValidated };
  Result<void> encrypt(std::string_view plaintext, std::string_view ua65, std::string_view auth16,
                       std::string& out_body, Peer peer, const EVP_PKEY* as_key, std::string_view salt16);
  Result<void> seal(std::string_view plaintext, const Keys& k, unsigned char* out);
  Result<std::string> open(std::string_view ciphertext, const Keys& k);
};

Result<void> EceEncryptor::Impl::init() {
  aes.reset(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr));
  enc.reset(EVP_CIPHER_CTX_new());
  dec.reset(EVP_CIPHER_CTX_new());
  mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!aes || !enc || !dec || !mac) return ossl_error("crypto_failed", "fetch AES-GCM/HMAC");
  // Bind the cipher once; each message then only sets key and IV.
  if (EVP_EncryptInit_ex2(enc.get(), aes.get(), nullptr, nullptr, nullptr) != 1 ||
      EVP_DecryptInit_ex2(dec.get(), aes.get(), nullptr, nullptr, nullptr) != 1)
    return ossl_error("crypto_failed", "AES-GCM init");
  hmac.reset(EVP_MAC_CTX_new(mac.get()));
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!hmac || EVP_MAC_CTX_set_params(hmac.get(), params) != 1)
    return ossl_error("crypto_failed", "HMAC-SHA256 init");
  auto p256 = P256Ecdh::create();
  if (!p256) return p256.error();
  ecdh.emplace(std::move(*p256));
  return ok();
}

bool EceEncryptor::Impl::next_salt(unsigned char* out16) {
  if (salt_next == salts.size()) {
    if (RAND_bytes(salts.data(), static_cast<int>(salts.size())) != 1) return false;
    salt_next = 0;
  }
  std::copy_n(salts.data() + salt_next, kSalt, out16);
  salt_next += kSalt;
  return true;
}

// HMAC-SHA256(key, concatenation of parts); the context keeps its digest.
// An empty key means the previous call's key again: OpenSSL then reuses the
// keyed state instead of hashing the padded key anew.
bool EceEncryptor::Impl::hmac32(std::string_view key, std::initializer_list<std::string_view> parts,
                                std::array<unsigned char, 32>& out) {
  if (EVP_MAC_init(hmac.get(), key.empty() ? nullptr : ubytes(key), key.size(), nullptr) != 1) return false;
  for (std::string_view p : parts)
    if (EVP_MAC_update(hmac.get(), ubytes(p), p.size()) != 1) return false;
  size_t len = 0;
  return EVP_MAC_final(hmac.get(), out.data(), &len, out.size()) == 1 && len == out.size();
}

// RFC 8291 §3.3-3.4 with RFC 8188 §2.2-2.3. Every HKDF here yields at most
// one hash block, so each extract and each expand is a single HMAC.
Result<Keys> EceEncryptor::Impl::derive(std::string_view ecdh, std::string_view auth16,
                                        std::string_view ua65, std::string_view as65v,
                                        std::string_view salt16) {
  std::array<unsigned char, 32> prk_key{}, ikm{}, prk{}, t{};
  Keys k;
  if (!hmac32(auth16, {ecdh}, prk_key) ||
      !hmac32(view(prk_key), {kKeyInfo, ua65, as65v, kOne}, ikm) ||
      !hmac32(salt16, {view(ikm)}, prk) || !hmac32(view(prk), {kCekInfo}, t))
    return ossl_error("crypto_failed", "HKDF");
  std::copy_n(t.begin(), k.cek.size(), k.cek.begin());
  if (!hmac32({}, {kNonceInfo}, t)) return ossl_error("crypto_failed", "HKDF");  // PRK again
  std::copy_n(t.begin(), k.nonce.size(), k.nonce.begin());
  return k;
}

// Writes ciphertext(plaintext || 0x02) || tag to `out` (plaintext + 17 bytes).
Result<void> EceEncryptor::Impl::seal(std::string_view plaintext, const Keys& k,
                                      unsigned char* out) {
  EVP_CIPHER_CTX* c = enc.get();
  int n1 = 0, n2 = 0, n3 = 0;
  if (EVP_EncryptInit_ex2(c, nullptr, k.cek.data(), k.nonce.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(c, out, &n1, ubytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptUpdate(c, out + n1, &n2, &kDelimiter, 1) != 1 ||
      EVP_EncryptFinal_ex(c, out + n1 + n2, &n3) != 1 ||
      static_cast<size_t>(n1 + n2 + n3) != plaintext.size() + 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTag, out + plaintext.size() + 1) != 1)
    return ossl_error("crypto_failed", "AES-GCM encrypt");
  return ok();
}

// Decrypts ciphertext || tag and strips the padding (zeros, then 0x02).
Result<std::string> EceEncryptor::Impl::open(std::string_view body, const Keys& k) {
  EVP_CIPHER_CTX* c = dec.get();
  std::string_view ct = body.substr(0, body.size() - kTag);
  std::string pt(ct.size(), '\0');
  int n1 = 0, n2 = 0;
  std::array<unsigned char, kTag> tag{};
  std::copy_n(ubytes(body.substr(ct.size())), kTag, tag.begin());
  if (EVP_DecryptInit_ex2(c, nullptr, k.cek.data(), k.nonce.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(c, ubytes(pt), &n1, ubytes(ct), static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1)
    return ossl_error("crypto_failed", "AES-GCM decrypt");
  if (EVP_DecryptFinal_ex(c, ubytes(pt) + n1, &n2) != 1)
    return ossl_error("decrypt_failed", "authentication tag mismatch");
  pt.resize(static_cast<size_t>(n1 + n2));
  while (!pt.empty() && pt.back() == '\0') pt.pop_back();
  if (pt.empty() || static_cast<unsigned char>(pt.back()) != kDelimiter)
    return make_error("decrypt_failed", "missing 0x02 padding delimiter");
  pt.pop_back();
  return pt;
}

EceEncryptor::EceEncryptor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EceEncryptor::EceEncryptor(EceEncryptor&&) noexcept = default;
EceEncryptor& EceEncryptor::operator=(EceEncryptor&&) noexcept = default;
EceEncryptor::~EceEncryptor() = default;

Result<EceEncryptor> EceEncryptor::create() {
  auto impl = std::make_unique<Impl>();
  if (auto r = impl->init(); !r) return r.error();
  return EceEncryptor(std::move(impl));
}

Result<void> EceEncryptor::encrypt(std::string_view plaintext, const EVP_PKEY* ua_public,
                                   std::string_view ua_public65, std::string_view auth16,
                                   std::string& out_body, const EVP_PKEY* as_key,
                                   std::string_view salt16) {
  if (auto r = check_sizes(plaintext, ua_public65, auth16); !r) return r;
  if (ua_public == nullptr) return make_error("bad_subscription", "no subscription key");
  return impl_->encrypt(plaintext, ua_public65, auth16, out_body, Impl::Peer::Check, as_key, salt16);
}

Result<void> EceEncryptor::encrypt(std::string_view plaintext, std::string_view ua_public65,
                                   std::string_view auth16, std::string& out_body) {
  return impl_->encrypt(plaintext, ua_public65, auth16, out_body, Impl::Peer::Check, nullptr, {});
}

Result<void> EceEncryptor::encrypt_validated(std::string_view plaintext, std::string_view ua_public65,
                                             std::string_view auth16, std::string& out_body) {
  return impl_->encrypt(plaintext, ua_public65, auth16, out_body, Impl::Peer::AlreadyValidated, nullptr, {});
}

Result<void> EceEncryptor::Impl::encrypt(std::string_view plaintext, std::string_view ua65,
                                         std::string_view auth16, std::string& out_body, Peer peer,
                                         const EVP_PKEY* as_key, std::string_view salt16) {
  if (auto r = check_sizes(plaintext, ua65, auth16); !r) return r;
  if (auto r = peer == Peer::Check ? ecdh->set_peer(ua65) : ecdh->set_peer_validated(ua65); !r)
    return make_error("bad_subscription", "p256dh is not an uncompressed P-256 point");
  if (!salt16.empty() && salt16.size() != kSalt)
    return make_error("bad_salt", "salt must be 16 bytes");
  unsigned char as65[kPoint];
  if (auto r = as_key == nullptr ? ecdh->generate(as65) : ecdh->use_private(as_key, as65); !r) return r.error();
  unsigned char secret[32];
  if (auto r = ecdh->derive(secret); !r) return r.error();

  // Header written in place: salt16 | rs (big-endian) | idlen | as_public.
  out_body.resize(kEceHeaderSize + plaintext.size() + 1 + kTag);
  unsigned char* p = ubytes(out_body);
  if (salt16.empty()) {
    if (!next_salt(p)) return ossl_error("rng_failed", "salt");
  } else {
    std::copy_n(ubytes(salt16), kSalt, p);
  }
  p[16] = static_cast<unsigned char>(kEceRecordSize >> 24);
  p[17] = static_cast<unsigned char>(kEceRecordSize >> 16);
  p[18] = static_cast<unsigned char>(kEceRecordSize >> 8);
  p[19] = static_cast<unsigned char>(kEceRecordSize);
  p[20] = static_cast<unsigned char>(kPoint);
  std::copy_n(as65, kPoint, p + 21);

  auto keys = derive(std::string_view(reinterpret_cast<const char*>(secret), sizeof secret), auth16, ua65,
                     std::string_view(reinterpret_cast<const char*>(as65), kPoint),
                     std::string_view(out_body.data(), kSalt));
  if (!keys) return keys.error();
  return seal(plaintext, *keys, p + kEceHeaderSize);
}

Result<std::string> EceEncryptor::decrypt(std::string_view body, const EVP_PKEY* ua_private,
                                          std::string_view auth16) {
  if (ua_private == nullptr || auth16.size() != kAuth)
    return make_error("bad_subscription", "missing key or auth not 16 bytes");
  if (body.size() < kEceHeaderSize + 1 + kTag)
    return make_error("bad_body", "body shorter than header + delimiter + tag");
  const unsigned char* p = ubytes(body);
  uint32_t rs = uint32_t{p[16]} << 24 | uint32_t{p[17]} << 16 | uint32_t{p[18]} << 8 | p[19];
  if (rs < 18) return make_error("bad_body", "record size below 18");
  if (p[20] != kPoint) return make_error("bad_body", "key id must be a 65-byte P-256 point");
  std::string_view records = body.substr(kEceHeaderSize);
  if (records.size() > rs) return make_error("bad_body", "more than one record");
  auto as_pub = p256_from_public_uncompressed(body.substr(21, kPoint));
  if (!as_pub) return make_error("bad_body", "key id is not a valid P-256 point");
  auto ua65 = p256_public_uncompressed(ua_private);
  if (!ua65) return ua65.error();
  auto secret = ecdh_p256(ua_private, as_pub->get(), /*validate_peer=*/false);
  if (!secret) return secret.error();
  auto keys = impl_->derive(*secret, auth16, *ua65, body.substr(21, kPoint), body.substr(0, kSalt));
  if (!keys) return keys.error();
  return impl_->open(records, *keys);
}

Result<void> webpush_encrypt(std::string_view plaintext, const EVP_PKEY* ua_public,
                             std::string_view ua_public65, std::string_view auth16,
                             std::string& out_body, const EVP_PKEY* as_key,
                             std::string_view salt16) {
  auto enc = EceEncryptor::create();
  if (!enc) return enc.error();
  return enc->encrypt(plaintext, ua_public, ua_public65, auth16, out_body, as_key, salt16);
}

Result<std::string> webpush_decrypt(std::string_view body, const EVP_PKEY* ua_private,
                                    std::string_view auth16) {
  auto enc = EceEncryptor::create();
  if (!enc) return enc.error();
  return enc->decrypt(body, ua_private, auth16);
}

}  // namespace pushgw::crypto
