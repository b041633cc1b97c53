#include "ingest/endpoint.h"

#include <arpa/inet.h>

#include <cstring>

namespace pushgw::ingest {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_host_char(char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_'; }

// Printable ASCII without space: what may appear unencoded in a URL we send.
bool is_url_char(char c) { return c > 0x20 && c < 0x7f; }

Error invalid(const char* why) { return make_error("bad_subscription", why); }

bool valid_ipv6(std::string_view s) {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char out[16];
  return inet_pton(AF_INET6, buf, out) == 1;
}

bool parse_port(std::string_view s, uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

Result<HttpsUrl> parse_https_url(std::string_view url) {
  for (char c : url)
    if (!is_url_char(c)) return invalid("endpoint has spaces, control or non-ASCII bytes");
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(url[0]))
    return invalid("endpoint is not an absolute URL");
  std::string_view scheme = url.substr(0, colon);
  for (char c : scheme)
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
      return invalid("endpoint is not an absolute URL");
  bool https = scheme.size() == 5 && (scheme[0] | 0x20) == 'h' && (scheme[1] | 0x20) == 't' &&
               (scheme[2] | 0x20) == 't' && (scheme[3] | 0x20) == 'p' && (scheme[4] | 0x20) == 's';
  if (!https) return make_error("endpoint_refused", "endpoint must use https");

  std::string_view rest = url.substr(colon + 3);
  size_t auth_end = rest.find_first_of("/?#");
  HttpsUrl u;
  u.authority = rest.substr(0, auth_end);
  u.path = auth_end == std::string_view::npos ? std::string_view("/") : rest.substr(auth_end);
  if (!u.path.empty() && u.path[0] == '#') u.path = "/";  // a fragment is never sent
  if (size_t hash = u.path.find('#'); hash != std::string_view::npos) u.path = u.path.substr(0, hash);
  if (u.authority.empty()) return invalid("endpoint has no host");
  if (u.authority.find('@') != std::string_view::npos) return invalid("endpoint must not carry userinfo");

  std::string_view a = u.authority, port_text;
  bool has_port = false;
  if (a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos) return invalid("endpoint has a bad IPv6 literal");
    u.host = a.substr(1, close - 1);
    if (!valid_ipv6(u.host)) return invalid("endpoint has a bad IPv6 literal");
    u.ipv6_literal = true;
    std::string_view after = a.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid("endpoint has a bad authority");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t c = a.find(':');
    u.host = a.substr(0, c);
    if (c != std::string_view::npos) {
      has_port = true;
      port_text = a.substr(c + 1);
    }
    if (u.host.empty()) return invalid("endpoint has no host");
    for (char ch : u.host)
      if (!is_host_char(ch)) return invalid("endpoint host has invalid characters");
  }
  if (has_port && !parse_port(port_text, u.port)) return invalid("endpoint has a bad port");
  return u;
}

}  // namespace pushgw::ingest
