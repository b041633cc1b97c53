// 64-bit key of a (platform, app, token) triple for the in-memory suppression
// set. Not cryptographic: tokens come from our own upstream, and the set only
// decides "skip this send". Two distinct triples with the same key would make
// one of them suppressed by mistake; with n suppressed tokens the chance per
// lookup is about n / 2^64 (5e-14 at 1M entries), which we accept.
//
// Keys 0 is reserved (it marks an empty slot); key_hash() never returns it.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pushgw/platform.h"

namespace pushgw::store {

namespace detail {

inline constexpr uint64_t kMulA = 0x9E3779B97F4A7C15ULL;  // 2^64 / golden ratio
inline constexpr uint64_t kMulB = 0xA24BAED4963EE407ULL;
inline constexpr uint64_t kMulC = 0x9FB21C651E98DF25ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Tail of 0..7 bytes, zero-padded; the length is mixed in separately.
inline uint64_t load_tail(const char* p, size_t n) {
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  return w;
}

inline uint64_t step(uint64_t acc, uint64_t w) { return rotl(acc ^ (w * kMulB), 29) * kMulA; }

// Full avalanche so that the low bits (the probe index) depend on every input bit.
inline uint64_t finish(uint64_t x) {
  x ^= x >> 31;
  x *= kMulC;
  x ^= x >> 29;
  x *= kMulB;
  x ^= x >> 32;
  return x;
}

// Four independent lanes for long inputs (Web Push endpoints), so the multiply
// chains overlap instead of running one after another.
inline uint64_t absorb(uint64_t seed, std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = seed ^ (n * kMulC);
  if (n >= 32) {
    uint64_t a = h, b = h + kMulA, c = h ^ kMulB, d = h - kMulC;
    while (n >= 32) {
      a = step(a, load64(p));
      b = step(b, load64(p + 8));
      c = step(c, load64(p + 16));
      d = step(d, load64(p + 24));
      p += 32;
      n -= 32;
    }
    h = rotl(a, 1) ^ rotl(b, 7) ^ rotl(c, 13) ^ rotl(d, 19);
  }
  while (n >= 8) {
    h = step(h, load64(p));
    p += 8;
    n -= 8;
  }
  if (n > 0) h = step(h, load_tail(p, n));
  return h;
}

}  // namespace detail

inline uint64_t key_hash(Platform platform, std::string_view app, std::string_view token) {
  uint64_t h = detail::absorb(0x5EEDULL + static_cast<uint64_t>(platform) * detail::kMulC, app);
  h = detail::absorb(detail::finish(h), token);
  h = detail::finish(h);
  return h == 0 ? 1 : h;
}

}  // namespace pushgw::store
