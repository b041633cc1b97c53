// Splitting a subscription endpoint ("https://host[:port]/path?query") into
// what a request needs: the pool origin, :authority, :path and the VAPID
// audience. Ingest has validated the URL (ingest/endpoint.h); this is the
// cheap per-message re-read, allocation-free, still safe on any bytes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace pushgw::provider {

struct EndpointParts {
  std::string_view host;  // as written; IPv6 literals without brackets
  std::string_view path;  // path and query, "/" when absent; never the fragment
  uint16_t port = 443;
  bool ipv6 = false;
};

// False when url is not "https://host[:port][/...]" with a usable host/port.
bool split_endpoint(std::string_view url, EndpointParts& out);

// Appends the host lowercased (IPv6 in brackets), then ":port" — always when
// with_default_port, otherwise only for a port other than 443. The two forms
// are the pool origin ("host:port") and the RFC 6454 origin's authority used
// for :authority and the VAPID "aud".
void append_host_port(const EndpointParts& p, bool with_default_port, std::string& out);

}  // namespace pushgw::provider
