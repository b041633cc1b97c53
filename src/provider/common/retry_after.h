// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
#pragma once
#include <cstdint>
#include <string_view>

namespace pushgw::provider {

// Milliseconds to wait from now_ms, or -1 when the value is absent/unparsable.
// A date in the past yields 0; delay-seconds are capped at 366 days (however
// many digits the peer sends), so the result never overflows.
int64_t parse_retry_after(std::string_view value, int64_t now_ms);

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") to epoch ms, -1 on error.
int64_t parse_http_date(std::string_view value);

}  // namespace pushgw::provider
