// The little JSON the JWT code needs, without pulling a JSON library into the
// crypto module: escaping for the claims we build, and reading one top-level
// string member (the "alg" of a JOSE header) from untrusted input.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pushgw::crypto {

// Appends `s` as a JSON string literal (with quotes). Escapes '"', '\\' and
// all control characters; other bytes (UTF-8) pass through.
void json_append_string(std::string& out, std::string_view s);

// Value of the top-level member `name` if `json` is an object whose member
// `name` is a string. Nested values are skipped, not interpreted. nullopt
// when the text is not an object, the member is missing or duplicated, its
// value is not a string, or any top-level member name or the value uses a
// \u escape (so no other parser can read a different member).
std::optional<std::string> json_top_level_string(std::string_view json, std::string_view name);

}  // namespace pushgw::crypto
