// "https://host[:port]" split for connection pools and providers (the
// endpoint overrides of the apps). IPv6 hosts are written in brackets
// ("https://[::1]:8443") and returned without them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::config {

struct Origin {
  std::string host;
  uint16_t port = 443;
};
// Accepts only https, a non-empty host, an optional port 1..65535 and at most
// a trailing "/"; anything else (a path, query, userinfo) is "bad_url".
Result<Origin> parse_https_origin(std::string_view url);

}  // namespace pushgw::config
