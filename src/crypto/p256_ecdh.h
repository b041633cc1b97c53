// The per-message P-256 work of an RFC 8291 sender on OpenSSL's EC_POINT
// layer: a fresh key pair (scalar uniform in [1, n-1], public point d*G),
// its point encoded, and one ECDH (the X coordinate of d*peer). These are
// the calls OpenSSL's own EC key generation and ECDH make; going around the
// EVP_PKEY layer saves the key objects, the provider dispatch, the curve
// group copied into every new key and the derive context (about 75k of
// 880k instructions per message).
//
// One per sender thread (inside EceEncryptor): NOT thread-safe; movable.
// No allocation per message once created.
#pragma once
#include <openssl/types.h>

#include <memory>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::crypto {

class P256Ecdh {
 public:
  static Result<P256Ecdh> create();

  // The subscription key as 0x04 || X || Y. set_peer checks it: "bad_key"
  // unless a P-256 point. set_peer_validated does not repeat the on-curve
  // check: only for bytes this process has already accepted with
  // P256Checker::valid_uncompressed and that nobody can have changed since
  // (ingest checks every p256dh and the batch is immutable afterwards). It
  // still refuses a wrong length or prefix ("bad_key").
  Result<void> set_peer(std::string_view pt65);
  Result<void> set_peer_validated(std::string_view pt65);

  // A fresh private scalar from the private DRBG and its public point,
  // taken from a stock made EphemeralKeys::kBatch at a time.
  Result<void> generate(unsigned char (&pub65)[65]);
  // Test vectors: the private scalar of a given P-256 key ("bad_key" if
  // it has none); its public point is written to pub65.
  Result<void> use_private(const EVP_PKEY* key, unsigned char (&pub65)[65]);
  // X of d * peer, then the scalar and the shared point are wiped: one
  // derive per generate/use_private.
  Result<void> derive(unsigned char (&secret)[32]);

  P256Ecdh(P256Ecdh&&) noexcept;
  P256Ecdh& operator=(P256Ecdh&&) noexcept;
  ~P256Ecdh();

 private:
  struct State;  // OpenSSL objects; kept out of this header
  explicit P256Ecdh(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace pushgw::crypto
