// Values usually come from simdjson (valid UTF-8), so multi-byte sequences
// pass through untouched; only '"', '\\' and C0 controls need escaping. The
// common case (nothing to escape: tokens, most texts) skips 8 bytes per
// test; a word with a byte to escape goes through the table byte by byte.
#include "base/json_escape.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "base/ascii.h"

namespace pushgw::base {
namespace {

// 0: copy as is; otherwise the size of the escape sequence.
constexpr std::array<uint8_t, 256> make_sizes(bool escape_high) {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 6;  // \u00XX
  t['\b'] = t['\f'] = t['\n'] = t['\r'] = t['\t'] = 2;
  t['"'] = t['\\'] = 2;
  if (escape_high)
    for (int c = 0x80; c < 0x100; ++c) t[c] = 6;
  return t;
}
constexpr auto kEscSize = make_sizes(false);
constexpr auto kEscSizeHigh = make_sizes(true);

void append_escape(unsigned char c, std::string& out) {
  switch (c) {
    case '"': out.append("\\\"", 2); return;
    case '\\': out.append("\\\\", 2); return;
    case '\b': out.append("\\b", 2); return;
    case '\f': out.append("\\f", 2); return;
    case '\n': out.append("\\n", 2); return;
    case '\r': out.append("\\r", 2); return;
    case '\t': out.append("\\t", 2); return;
    default: {
      const char u[6] = {'\\', 'u', '0', '0', kHexLower[c >> 4], kHexLower[c & 15]};
      out.append(u, 6);
    }
  }
}

// Nonzero when one of the 8 bytes of w is '"', '\\', below 0x20, or (high)
// 0x80 or above. The per-byte flags may be wrong above a true one (borrows),
// so the answer is only used as "somewhere in this word".
uint64_t word_needs_escape(uint64_t w, bool high) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  uint64_t m = has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | ((w - kOnes * 0x20) & ~w & kHighs);
  if (high) m |= w & kHighs;
  return m;
}

}  // namespace

size_t json_escaped_size(std::string_view in) {
  size_t n = in.size();
  for (unsigned char c : in) {
    uint8_t e = kEscSize[c];
    if (e != 0) n += e - 1u;
  }
  return n;
}

void json_escape_append(std::string_view in, std::string& out, bool escape_high_bytes) {
  const auto& sizes = escape_high_bytes ? kEscSizeHigh : kEscSize;
  const char* p = in.data();
  const char* end = p + in.size();
  const char* run = p;  // start of the pending unescaped run
  while (p != end) {
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (word_needs_escape(w, escape_high_bytes) != 0) break;
      p += 8;
    }
    // The word with a byte to escape, or the tail: byte by byte.
    const char* stop = end - p > 8 ? p + 8 : end;
    for (; p != stop; ++p) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (sizes[c] == 0) continue;
      out.append(run, static_cast<size_t>(p - run));
      append_escape(c, out);
      run = p + 1;
    }
  }
  out.append(run, static_cast<size_t>(end - run));
}

}  // namespace pushgw::base
