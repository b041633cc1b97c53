// RFC 8291 message encryption for Web Push ("aes128gcm", RFC 8188), single
// record: body = salt16 | rs4 (4096) | idlen1 (65) | as_public65 ||
// AES-128-GCM(plaintext || 0x02) || tag16.
//
// Per message a fresh ephemeral P-256 key pair and a fresh 16-byte salt are
// generated (RFC 8291 §3.1, RFC 8188 §2.1), on OpenSSL's EC_POINT layer
// (P256Ecdh: the same calls its EC key generation and ECDH make, without an
// EVP_PKEY per message). The subscription key is decoded from its 65 bytes
// with the on-curve check, and without OpenSSL's full public-key check
// (which would double the cost; P-256 has cofactor 1).
//
// Errors: "payload_too_large" (plaintext > kEceMaxPlaintext),
// "bad_subscription" (missing key, p256dh not 65 bytes, auth not 16 bytes),
// "bad_salt" (injected salt not 16 bytes), "bad_key" (injected as_key not
// P-256), "bad_body" (decrypt: malformed header/lengths/key id),
// "decrypt_failed" (decrypt: tag mismatch or bad padding delimiter),
// "crypto_failed" / "rng_failed" (library failures).
#pragma once
#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::crypto {

inline constexpr size_t kEceHeaderSize = 86;
inline constexpr size_t kEceMaxPlaintext = 3993;  // 4096-byte body
inline constexpr uint32_t kEceRecordSize = 4096;

// Holds the fetched algorithms and reusable contexts, so a message costs
// only the ephemeral scalar, d*G and its encoding, one ECDH, five HMACs
// (the last reusing the fourth's key), a 16-byte salt (drawn 64 at a time)
// and one AES-GCM pass.
// One per sender thread: NOT thread-safe; movable.
class EceEncryptor {
 public:
  static Result<EceEncryptor> create();

  // ua_public: the subscription key (an EVP_PKEY; must not be null),
  // ua_public65 its 65 raw bytes, which the ECDH and the HKDF use (callers
  // keep both; they must match); auth16: the auth secret. A ua_public65
  // that is not a P-256 point gives "bad_subscription".
  // out_body is overwritten (its capacity is reused). as_key/salt16 inject
  // the ephemeral key and salt for test vectors; leave them null/empty.
  Result<void> encrypt(std::string_view plaintext, const EVP_PKEY* ua_public,
                       std::string_view ua_public65, std::string_view auth16, std::string& out_body,
                       const EVP_PKEY* as_key = nullptr, std::string_view salt16 = {});

  // The same with the subscription key as its 65 raw bytes only, decoded
  // (with the on-curve check) into a point this encryptor keeps for the next
  // message. A p256dh that is not a P-256 point gives "bad_subscription".
  Result<void> encrypt(std::string_view plaintext, std::string_view ua_public65,
                       std::string_view auth16, std::string& out_body);
  // The same for a p256dh this process has already accepted with
  // P256Checker::valid_uncompressed and that cannot have changed since (the
  // provider's case: ingest checks every p256dh, and a batch is immutable
  // once queued): the on-curve check is not repeated (P256Ecdh's
  // set_peer_validated). Sizes are still checked ("bad_subscription").
  Result<void> encrypt_validated(std::string_view plaintext, std::string_view ua_public65,
                                 std::string_view auth16, std::string& out_body);

  // The receiving side (the simulator, tests): checks the header (rs >= 18,
  // idlen 65, valid key id, one record), the tag and the 0x02 delimiter.
  Result<std::string> decrypt(std::string_view body, const EVP_PKEY* ua_private,
                              std::string_view auth16);

  EceEncryptor(EceEncryptor&&) noexcept;
  EceEncryptor& operator=(EceEncryptor&&) noexcept;
  ~EceEncryptor();

 private:
  struct Impl;  // OpenSSL contexts; kept out of this header
  explicit EceEncryptor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One-shot forms of the above; each call fetches algorithms and builds
// contexts, so hot paths should keep an EceEncryptor per thread instead.
Result<void> webpush_encrypt(std::string_view plaintext, const EVP_PKEY* ua_public,
                             std::string_view ua_public65, std::string_view auth16,
                             std::string& out_body, const EVP_PKEY* as_key = nullptr,
                             std::string_view salt16 = {});
Result<std::string> webpush_decrypt(std::string_view body, const EVP_PKEY* ua_private,
                                    std::string_view auth16);

}  // namespace pushgw::crypto
