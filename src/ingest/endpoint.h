// Web Push endpoint URLs: strict parsing of "https://host[:port]/path".
// Shared by ingest (validation) and dispatch (origin, :authority, :path).
#pragma once
#include <cstdint>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::ingest {

struct HttpsUrl {
  std::string_view host;       // without brackets for IPv6 literals
  std::string_view authority;  // "host[:port]" exactly as written (brackets kept)
  std::string_view path;       // starts with '/' (or '?'); "/" when the URL has none
  uint16_t port = 443;
  bool ipv6_literal = false;
};

// Views point into url. Errors: "endpoint_refused" when the scheme is not
// https (e.g. http://), "bad_subscription" for anything unparsable: no scheme,
// empty host, userinfo ("user@host" is refused outright), bad port, bad
// IPv6 literal, control/space/non-ASCII bytes.
Result<HttpsUrl> parse_https_url(std::string_view url);

}  // namespace pushgw::ingest
