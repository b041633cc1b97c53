// UTF-8 validation, for text that must stay valid when it leaves the process
// (Prometheus label values, JSON log lines).
#pragma once
#include <cstddef>
#include <string_view>

namespace pushgw::base {

// Length (1..4) of the valid UTF-8 sequence starting at s[i], or 0 when the
// bytes there are not one: truncated sequences, overlong forms, surrogates
// and values past U+10FFFF are invalid. i must be < s.size().
std::size_t utf8_sequence(std::string_view s, std::size_t i);

}  // namespace pushgw::base
