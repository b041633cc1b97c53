// Key handling for the gateway's credentials and for Web Push subscriptions:
// PEM in/out, P-256 raw points and scalars, ECDH, HMAC-SHA256 and randomness.
// No I/O: callers read files and pass the PEM text.
//
// Thread safety: every function is safe to call concurrently. An EVP_PKEY
// may be shared read-only between threads (OpenSSL 3 reference counts and
// locks internally); none of these functions mutates a key passed as const.
// Errors: "bad_key" for anything wrong with key material or PEM text,
// "crypto_failed" for unexpected library failures, "rng_failed" for the RNG.
#pragma once
#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::crypto {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// EC P-256 (SEC1 "EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY") or RSA (PKCS#1 or
// PKCS#8). Other curves and key types, encrypted PEM (never prompts) and
// garbage give "bad_key". Leading PEM blocks of other types (e.g. the
// "EC PARAMETERS" block `openssl ecparam -genkey` writes) are skipped.
Result<EvpPkeyPtr> load_private_key_pem(std::string_view pem);
// SPKI "PUBLIC KEY" PEM holding a P-256 or RSA key; otherwise "bad_key".
Result<EvpPkeyPtr> load_public_key_pem(std::string_view pem);
Result<EvpPkeyPtr> generate_p256();
// bits in [1024, 16384], otherwise "bad_key".
Result<EvpPkeyPtr> generate_rsa(int bits);

std::string private_key_to_pem(const EVP_PKEY* key);  // PKCS#8 PEM; "" on failure
std::string public_key_to_pem(const EVP_PKEY* key);   // SPKI PEM; "" on failure

bool is_p256(const EVP_PKEY* key);
bool is_rsa(const EVP_PKEY* key);

// 65 bytes 0x04||X||Y, whatever point format the key was loaded with.
Result<std::string> p256_public_uncompressed(const EVP_PKEY* key);
// Public-only key from a 65-byte uncompressed point. Rejects other lengths,
// compressed/hybrid encodings, the point at infinity and points not on the
// curve ("bad_key"). Costs a few microseconds; callers may cache the key per
// subscription. The result is fully validated (P-256 has cofactor 1), so it
// may be passed to ecdh_p256(..., validate_peer=false).
Result<EvpPkeyPtr> p256_from_public_uncompressed(std::string_view pt65);
// The same in two steps, for a hot path: a P-256 public key with no point
// yet, then (again for every subscription) the point decoded into it, with
// the same checks and errors. Refilling one key object costs a third of
// building a new one per message (EVP_PKEY_dup of the curve parameters and
// the key type's name lookup). p256_assign_public_uncompressed mutates
// `slot` (one owner thread; no derive context may still hold it); after a
// failure its point is unspecified: assign again before using the slot.
Result<EvpPkeyPtr> p256_public_slot();
Result<void> p256_assign_public_uncompressed(EVP_PKEY* slot, std::string_view pt65);
// Private key (with its public point computed) from a 32-byte big-endian
// scalar in [1, n-1]. For test vectors.
Result<EvpPkeyPtr> p256_from_private_scalar(std::string_view d32);

// 32-byte shared secret (the X coordinate). validate_peer=false skips the
// full public-key check inside OpenSSL; only pass keys that came from
// p256_from_public_uncompressed (which already validated the point).
Result<std::string> ecdh_p256(const EVP_PKEY* priv, const EVP_PKEY* peer, bool validate_peer);
// The same into a caller's 32-byte buffer (no allocation per message).
Result<void> ecdh_p256(const EVP_PKEY* priv, const EVP_PKEY* peer, bool validate_peer, unsigned char (&out)[32]);

// 32-byte HMAC-SHA256 tag; empty only if the library itself fails (out of
// memory, no default provider), never because of the input.
std::string hmac_sha256(std::string_view key, std::string_view data);

Result<std::string> random_bytes(size_t n);

// SHA-256 of data as 64 lowercase hex digits; empty only if the library
// itself fails. For fingerprints that must not carry what they identify
// (a private key).
std::string sha256_hex(std::string_view data);

}  // namespace pushgw::crypto
