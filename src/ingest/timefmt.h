// Timestamps in requests: RFC 3339 text or unix seconds.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace pushgw::ingest {

// "2026-11-22T10:00:00Z", "2026-11-22t10:00:00.250+09:00", "... 10:00:00Z".
// Returns epoch milliseconds (fraction truncated to ms), or nullopt.
std::optional<int64_t> parse_rfc3339_ms(std::string_view s);

}  // namespace pushgw::ingest
