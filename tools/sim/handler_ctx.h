// Per-worker-thread scratch state handed to the provider handlers: the clock,
// a reusable JSON parser and a fast non-cryptographic RNG for ids. One per
// worker; never shared between threads.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/ece.h"
#include "pushgw/clock.h"

namespace pushgw::sim {

// splitmix64: ids only need to be unique-looking, not secret.
class FastRng {
 public:
  explicit FastRng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t s_;
};

// Seeds from the OS RNG (falls back to time if that fails).
uint64_t random_seed();

// Writes a lowercase version-4 UUID (36 chars) into out.
void uuid_v4(FastRng& rng, std::string& out);
// Canonical 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view s);

struct HandlerCtx {
  explicit HandlerCtx(const Clock& c) : clock(c), rng(random_seed()) {}
  const Clock& clock;
  simdjson::dom::parser json;
  FastRng rng;
  std::string scratch;  // reusable buffer for building bodies
  std::optional<crypto::EceEncryptor> ece;  // created on the first Web Push decrypt
};

}  // namespace pushgw::sim
