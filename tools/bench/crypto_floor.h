// The RFC 8291 crypto floor of one Web Push message, measured in this process
// with OpenSSL directly: a fresh P-256 key pair (a private scalar and d*G on
// OpenSSL's EC_POINT layer, every object reused: the calls its EC key
// generation makes, without an EVP_PKEY per message), its public point
// encoded (the body carries it) and one ECDH (X of d*peer) with an already
// decoded and validated subscription key. pushgwd's encryptor makes the
// same calls (crypto/p256_ecdh.h). Any RFC 8291 sender pays at least this; what
// pushgwd spends above it plus h2load's transport is its own overhead.
#pragma once
#include <cstddef>

namespace pushgw::bench {

// CPU microseconds (this thread's clock) per message, median of `rounds`
// rounds of `per_round` messages; -1 if OpenSSL fails.
// plaintext_bytes >= 0: the whole of RFC 8291 per message, the asymmetric
// part plus the HKDF (five HMAC-SHA256) and one AES-128-GCM record of that
// many bytes (salts drawn 64 at a time, every OpenSSL object made once):
// the floor of the goal 3. < 0: the asymmetric part only.
// keys_per_batch > 1: the key pairs made that many at a time (one DRBG
// draw, one inversion to affine for all), as pushgwd's EphemeralKeys does:
// the floor of a sender that batches them.
double webpush_crypto_floor_us(int rounds = 5, int per_round = 400, long plaintext_bytes = -1,
                               size_t keys_per_batch = 1);

}  // namespace pushgw::bench
