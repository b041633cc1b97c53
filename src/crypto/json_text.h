// The little JSON the JWT code reads without pulling a JSON library into the
// crypto module: one top-level string member (the "alg" of a JOSE header)
// from untrusted input. Claims are written with base/json_escape.h.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pushgw::crypto {

// Value of the top-level member `name` if `json` is an object whose member
// `name` is a string. Nested values are skipped, not interpreted. nullopt
// when the text is not an object, the member is missing or duplicated, its
// value is not a string, or any top-level member name or the value uses a
// \u escape (so no other parser can read a different member).
std::optional<std::string> json_top_level_string(std::string_view json, std::string_view name);

}  // namespace pushgw::crypto
