#include "crypto/ece.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <initializer_list>

#include "crypto/keys.h"
#include "crypto/ossl.h"

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

// For keys this file generated (known P-256, uncompressed): skips the checks
// p256_public_uncompressed makes. Encoding still costs one field inversion,
// which is inherent: the body must carry the ephemeral public key.
bool ephemeral_point(const EVP_PKEY* key, std::string& out65) {
  out65.resize(kPoint);
  size_t len = 0;
  return EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, ubytes(out65), kPoint,
                                         &len) == 1 &&
         len == kPoint && out65[0] == 0x04;
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
  detail::PkeyCtxPtr keygen;
  EvpPkeyPtr peer;   // the subscription key, its point refilled per message
  std::string as65;  // scratch, reused across messages
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
  Result<EvpPkeyPtr> ephemeral();
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
  keygen.reset(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!keygen || EVP_PKEY_keygen_init(keygen.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(keygen.get(), "P-256") != 1)
    return ossl_error("crypto_failed", "P-256 keygen init");
  auto slot = p256_public_slot();
  if (!slot) return slot.error();
  peer = std::move(*slot);
  as65.reserve(kPoint);
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

Result<EvpPkeyPtr> EceEncryptor::Impl::ephemeral() {
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(keygen.get(), &raw) != 1)
    return ossl_error("crypto_failed", "generate ephemeral P-256 key");
  return EvpPkeyPtr(raw);
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
  if (plaintext.size() > kEceMaxPlaintext)
    return make_error("payload_too_large", "Web Push plaintext over 3993 bytes");
  if (ua_public == nullptr || ua_public65.size() != kPoint || auth16.size() != kAuth)
    return make_error("bad_subscription", "p256dh must be 65 bytes and auth 16 bytes");
  if (!salt16.empty() && salt16.size() != kSalt)
    return make_error("bad_salt", "salt must be 16 bytes");

  Impl& im = *impl_;
  EvpPkeyPtr fresh;
  if (as_key == nullptr) {
    auto gen = im.ephemeral();
    if (!gen) return gen.error();
    fresh = std::move(*gen);
    as_key = fresh.get();
    if (!ephemeral_point(as_key, im.as65)) return ossl_error("crypto_failed", "ephemeral point");
  } else {
    auto pt = p256_public_uncompressed(as_key);
    if (!pt) return pt.error();
    im.as65 = std::move(*pt);
  }
  unsigned char secret[32];
  if (auto r = ecdh_p256(as_key, ua_public, /*validate_peer=*/false, secret); !r) return r.error();

  // Header written in place: salt16 | rs (big-endian) | idlen | as_public.
  out_body.resize(kEceHeaderSize + plaintext.size() + 1 + kTag);
  unsigned char* p = ubytes(out_body);
  if (salt16.empty()) {
    if (!im.next_salt(p)) return ossl_error("rng_failed", "salt");
  } else {
    std::copy_n(ubytes(salt16), kSalt, p);
  }
  p[16] = static_cast<unsigned char>(kEceRecordSize >> 24);
  p[17] = static_cast<unsigned char>(kEceRecordSize >> 16);
  p[18] = static_cast<unsigned char>(kEceRecordSize >> 8);
  p[19] = static_cast<unsigned char>(kEceRecordSize);
  p[20] = static_cast<unsigned char>(kPoint);
  std::copy_n(im.as65.data(), kPoint, out_body.data() + 21);

  auto keys = im.derive(std::string_view(reinterpret_cast<const char*>(secret), sizeof secret), auth16,
                       ua_public65, im.as65, std::string_view(out_body.data(), kSalt));
  if (!keys) return keys.error();
  return im.seal(plaintext, *keys, p + kEceHeaderSize);
}

Result<void> EceEncryptor::encrypt(std::string_view plaintext, std::string_view ua_public65,
                                   std::string_view auth16, std::string& out_body) {
  if (auto r = p256_assign_public_uncompressed(impl_->peer.get(), ua_public65); !r)
    return make_error("bad_subscription", "p256dh is not a P-256 point");
  return encrypt(plaintext, impl_->peer.get(), ua_public65, auth16, out_body);
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
