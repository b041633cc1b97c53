// parse_https_origin: the endpoint overrides ("https://127.0.0.1:8443").
#include "config/origin.h"

namespace pushgw::config {
namespace {

Error bad_url(std::string_view why) {
  return make_error("bad_url", "must be \"https://host[:port]\" with no path: " + std::string(why));
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool v6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

Result<uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return bad_url("bad port");
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return bad_url("bad port");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v < 1 || v > 65535) return bad_url("port out of range");
  return static_cast<uint16_t>(v);
}

}  // namespace

Result<Origin> parse_https_origin(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return bad_url("scheme must be https");
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) return bad_url("path, query or userinfo present");

  Origin o;
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad_url("unterminated IPv6 address");
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad_url("junk after IPv6 address");
    if (!after.empty()) port = after.substr(1);
    if (after == ":") return bad_url("bad port");
    for (char c : host) {
      if (!v6_char(c)) return bad_url("bad IPv6 address");
    }
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad_url("bad port");
    }
    for (char c : host) {
      if (!host_char(c)) return bad_url("bad host name");
    }
  }
  if (host.empty()) return bad_url("empty host");
  o.host.assign(host);
  if (!port.empty()) {
    auto p = parse_port(port);
    if (!p.ok()) return p.error();
    o.port = *p;
  }
  return o;
}

}  // namespace pushgw::config
