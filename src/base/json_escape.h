// JSON string escaping: the one escaper every module writes JSON text with
// (responses, JWT claims, provider bodies, templates, tools).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pushgw::base {

// Appends in as JSON string content (no quotes). '"', '\\' and C0 controls
// are escaped (\b \f \n \r \t short forms, \u00XX for the rest); other bytes
// pass through, so UTF-8 input stays UTF-8. With escape_high_bytes, every
// byte >= 0x80 is written as \u00XX too (a Latin-1 reading), which keeps the
// output valid JSON for bytes that are not UTF-8.
void json_escape_append(std::string_view in, std::string& out, bool escape_high_bytes = false);

// Exactly how many bytes json_escape_append(in, out) appends.
size_t json_escaped_size(std::string_view in);

// json_escape_append between double quotes.
inline void json_append_quoted(std::string& out, std::string_view s, bool escape_high_bytes = false) {
  out.push_back('"');
  json_escape_append(s, out, escape_high_bytes);
  out.push_back('"');
}

}  // namespace pushgw::base
