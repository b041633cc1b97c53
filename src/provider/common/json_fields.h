// Reading one or two fields out of a provider's small error body. Bodies are
// untrusted: anything that is not the expected JSON yields empty/0.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace pushgw::provider {

// Top-level string field of a JSON object body, "" if absent or not a string.
std::string json_string_field(std::string_view body, std::string_view key);
// Top-level integer field, 0 if absent or not an integer.
int64_t json_int_field(std::string_view body, std::string_view key);

}  // namespace pushgw::provider
