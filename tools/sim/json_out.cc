#include "json_out.h"

#include <simdjson.h>

#include <charconv>

#include "base/json_escape.h"

namespace pushgw::sim {

void json_append_string(std::string& out, std::string_view s) {
  base::json_append_quoted(out, s, /*escape_high_bytes=*/!simdjson::validate_utf8(s.data(), s.size()));
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
