#include "base/base64url.h"

#include <array>
#include <cstdint>

#include "base/ascii.h"

namespace pushgw::base {
namespace {

constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Decoding table shared by both alphabets: '+' and '-' are 62, '/' and '_' 63.
constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 26; ++i) t['A' + i] = static_cast<int8_t>(i);
  for (int i = 0; i < 26; ++i) t['a' + i] = static_cast<int8_t>(26 + i);
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(52 + i);
  return t;
}

std::optional<std::string> decode(std::string_view in, bool url) {
  static constexpr auto base = make_table();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    int v = base[c];
    if (url && c == '-') v = 62;
    if (url && c == '_') v = 63;
    if (!url && c == '+') v = 62;
    if (!url && c == '/') v = 63;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

void base64url_encode_append(std::string_view in, std::string& out) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(kUrl[(v >> 18) & 63]);
    out.push_back(kUrl[(v >> 12) & 63]);
    out.push_back(kUrl[(v >> 6) & 63]);
    out.push_back(kUrl[v & 63]);
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out.push_back(kUrl[(v >> 18) & 63]);
    out.push_back(kUrl[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out.push_back(kUrl[(v >> 18) & 63]);
    out.push_back(kUrl[(v >> 12) & 63]);
    out.push_back(kUrl[(v >> 6) & 63]);
  }
}

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  base64url_encode_append(in, out);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, true); }
std::optional<std::string> base64_decode(std::string_view text) { return decode(text, false); }

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexLower[c >> 4]);
    out.push_back(kHexLower[c & 15]);
  }
  return out;
}

bool is_hex(std::string_view text) {
  for (char c : text)
    if (hex_digit_value(c) < 0) return false;
  return true;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_digit_value(text[i]), lo = hex_digit_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace pushgw::base
