// 64-bit key of a (platform, app, token) triple for the in-memory suppression
// set and the marketing caps: SipHash-1-3 (SipHash, Aumasson & Bernstein,
// 2012, with one compression and three finalization rounds) under a secret
// key of the installation (Store::hash_key(), kept in the store's meta
// table).
//
// Why 1-3 and not the paper's 2-4: this key is hashed on every send (one
// to three times a notification), where 2-4 cost ~530 instructions for an
// APNs token; 1-3 is the variant hash tables use against chosen-key
// flooding (CPython's str/bytes hash since 3.11, Rust's std HashMap), which
// is what is asked of it here, and the values live only in memory (below).
//
// Keyed because the token is not always ours to choose: a Web Push endpoint is
// whatever the subscriber's browser posted. With an unkeyed (invertible) hash
// anyone could craft an endpoint whose key equals a victim's, and the victim's
// sends would be suppressed or capped. Without the secret, a collision is a
// 2^-64 guess per lookup (5e-14 at 1M suppressed entries).
//
// Keys are never stored: the set and the caps are rebuilt from the rows at
// start, so the secret can be created on first start of an existing database
// and every row stays valid.
//
// Key 0 is reserved (it marks an empty slot); key_hash() never returns it.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pushgw/platform.h"

namespace pushgw::store {

struct HashKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

namespace detail {

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// One 8-byte load (the byte-wise form compiles to eight loads and shifts,
// a third of the hash's instructions on a 64-byte token).
inline uint64_t load_le64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// The k < 8 bytes at p as the low bytes of a little-endian word (the rest
// zero): at most three loads, where a byte loop takes up to seven.
inline uint64_t load_le_partial(const unsigned char* p, size_t k) {
  if constexpr (std::endian::native == std::endian::big) {
    uint64_t v = 0;
    for (size_t i = 0; i < k; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  } else {
    uint64_t v = 0;
    size_t i = 0;
    if (k & 4) {
      uint32_t w;
      std::memcpy(&w, p, sizeof w);
      v = w;
      i = 4;
    }
    if (k & 2) {
      uint16_t w;
      std::memcpy(&w, p + i, sizeof w);
      v |= static_cast<uint64_t>(w) << (8 * i);
      i += 2;
    }
    if (k & 1) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
}

// SipHash-c-d over a message given in pieces (so the triple needs no copy):
// C rounds per 8-byte block, D to finish.
template <int C, int D>
class SipHash {
 public:
  explicit SipHash(const HashKey& k)
      : v0_(k.k0 ^ 0x736f6d6570736575ULL),
        v1_(k.k1 ^ 0x646f72616e646f6dULL),
        v2_(k.k0 ^ 0x6c7967656e657261ULL),
        v3_(k.k1 ^ 0x7465646279746573ULL) {}

  // A piece's bytes that do not fill a block wait in pend_ (the low fill_
  // bytes, little-endian) for the next piece or final().
  void update(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += n;
    if (fill_ > 0) {
      const size_t k = std::min(8 - fill_, n);
      pend_ |= load_le_partial(p, k) << (8 * fill_);
      fill_ += k;
      p += k;
      n -= k;
      if (fill_ < 8) return;
      block(pend_);
      fill_ = 0;
    }
    for (; n >= 8; n -= 8, p += 8) block(load_le64(p));
    pend_ = load_le_partial(p, n);
    fill_ = n;
  }
  void update(std::string_view s) { update(s.data(), s.size()); }

  uint64_t final() {
    block((static_cast<uint64_t>(total_ & 0xff) << 56) | pend_);
    v2_ ^= 0xff;
    for (int i = 0; i < D; ++i) round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

 private:
  void round() {
    v0_ += v1_;
    v1_ = rotl(v1_, 13) ^ v0_;
    v0_ = rotl(v0_, 32);
    v2_ += v3_;
    v3_ = rotl(v3_, 16) ^ v2_;
    v0_ += v3_;
    v3_ = rotl(v3_, 21) ^ v0_;
    v2_ += v1_;
    v1_ = rotl(v1_, 17) ^ v2_;
    v2_ = rotl(v2_, 32);
  }
  void block(uint64_t m) {
    v3_ ^= m;
    for (int i = 0; i < C; ++i) round();
    v0_ ^= m;
  }

  uint64_t v0_, v1_, v2_, v3_;
  uint64_t pend_ = 0;
  size_t fill_ = 0;
  uint64_t total_ = 0;
};

using SipHash13 = SipHash<1, 3>;
using SipHash24 = SipHash<2, 4>;  // the paper's reference: tests check the code against its vectors

template <int C, int D>
uint64_t siphash(const HashKey& key, std::string_view data) {
  SipHash<C, D> h(key);
  h.update(data);
  return h.final();
}

}  // namespace detail

// The triple is framed unambiguously: platform, app length, app, token.
inline uint64_t key_hash(const HashKey& key, Platform platform, std::string_view app, std::string_view token) {
  unsigned char head[5] = {static_cast<unsigned char>(platform)};
  const auto n = static_cast<uint32_t>(app.size());
  for (int i = 0; i < 4; ++i) head[1 + i] = static_cast<unsigned char>(n >> (8 * i));
  detail::SipHash13 h(key);
  h.update(head, sizeof head);
  h.update(app);
  h.update(token);
  const uint64_t v = h.final();
  return v == 0 ? 1 : v;
}

}  // namespace pushgw::store
