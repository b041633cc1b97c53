#include "json_out.h"

#include <simdjson.h>

#include <charconv>

namespace pushgw::sim {

namespace {
constexpr char kHex[] = "0123456789abcdef";

void append_u00(std::string& out, unsigned char c) {
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}
}  // namespace

void json_append_string(std::string& out, std::string_view s) {
  const bool utf8 = simdjson::validate_utf8(s.data(), s.size());
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || (c >= 0x80 && !utf8)) append_u00(out, c);
        else out += ch;
    }
  }
  out += '"';
}

void json_append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void json_append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace pushgw::sim
