// A stock of fresh P-256 key pairs for RFC 8291's one-key-pair-per-message
// rule, made kBatch at a time so that two costs are paid once per batch
// instead of once per message:
//  - the private DRBG call and its lock (one RAND_priv_bytes for all
//    scalars, ~45k instructions per message through BN_priv_rand_range);
//  - the field inversion that turns d*G into the affine point the body
//    carries (one inversion for the batch by Montgomery's trick,
//    EC_POINTs_make_affine; ~45k instructions per message otherwise).
// The batch also runs every d*G back to back, while OpenSSL's ~150 KB table
// of multiples of G is in cache, instead of between TLS and HTTP/2 work.
//
// Scalars are uniform in [1, n-1] (rejection sampling of 256-bit draws, as
// OpenSSL's BN_priv_rand_range does for n this close to 2^256), each handed
// out once and wiped in the stock as it is taken; the rest are wiped with
// the stock. One per sender thread (inside P256Ecdh): NOT thread-safe.
#pragma once
#include <openssl/ec.h>

#include <array>
#include <cstddef>
#include <memory>

#include "pushgw/result.h"

namespace pushgw::crypto {

class EphemeralKeys {
 public:
  static constexpr size_t kBatch = 32;

  // group: P-256, outlives the stock.
  static Result<EphemeralKeys> create(const EC_GROUP* group);

  // The next fresh key pair: its scalar into d (whose flags are kept), its
  // point as 0x04 || X || Y into pub65. Refills the stock when it is empty
  // ("rng_failed" or "crypto_failed" if OpenSSL fails; nothing is handed out
  // then).
  Result<void> take(BIGNUM* d, unsigned char (&pub65)[65]);

  size_t left() const;  // key pairs in stock, for tests

  EphemeralKeys(EphemeralKeys&&) noexcept;
  EphemeralKeys& operator=(EphemeralKeys&&) noexcept;
  ~EphemeralKeys();

 private:
  struct Stock;  // OpenSSL objects; kept out of this header
  explicit EphemeralKeys(std::unique_ptr<Stock> s);
  std::unique_ptr<Stock> s_;
};

}  // namespace pushgw::crypto
