// Small helpers to write JSON text by hand (the simulator only emits a few
// fixed shapes, so a builder library would be more code than it saves).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace pushgw::sim {

// Appends s as a quoted JSON string. Control characters are escaped; bytes
// that are not valid UTF-8 are written as \u00XX (Latin-1 reading) so the
// output is always valid JSON even for binary plaintexts.
void json_append_string(std::string& out, std::string_view s);
void json_append_uint(std::string& out, uint64_t v);
void json_append_int(std::string& out, int64_t v);

}  // namespace pushgw::sim
