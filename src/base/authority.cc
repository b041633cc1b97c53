#include "base/authority.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "base/ascii.h"

namespace pushgw::base {
namespace {

constexpr size_t kMaxNameBytes = 253;  // RFC 1035 2.3.4, without the trailing dot
constexpr size_t kMaxIpv6Text = 45;    // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"

constexpr bool is_label_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }

bool valid_ipv6(std::string_view s) {
  if (s.empty() || s.size() > kMaxIpv6Text) return false;
  char buf[kMaxIpv6Text + 1];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET6, buf, addr) == 1;
}

// Labels separated by single dots; one trailing dot is dropped from name.
UrlError check_name(std::string_view& name) {
  if (name.empty()) return UrlError::NoHost;
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  if (name.size() > kMaxNameBytes) return UrlError::BadHost;
  bool label_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (label_empty) return UrlError::BadHost;
      label_empty = true;
    } else if (is_label_char(c)) {
      label_empty = false;
    } else {
      return c == '@' ? UrlError::Userinfo : UrlError::BadHost;
    }
  }
  return label_empty ? UrlError::BadHost : UrlError::None;
}

UrlError parse_port(std::string_view s, const AuthorityRules& rules, uint16_t& port) {
  if (s.empty() || s.size() > 5) return UrlError::BadPort;
  unsigned v = 0;
  for (char c : s) {
    if (!is_digit(c)) return UrlError::BadPort;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535 || (v == 0 && !rules.allow_port_zero)) return UrlError::BadPort;
  port = static_cast<uint16_t>(v);
  return UrlError::None;
}

// Splits text into the host part (brackets kept) and the port text.
UrlError split(std::string_view text, std::string_view& host, std::string_view& port, bool& has_port) {
  has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return UrlError::BadIpv6;
    host = text.substr(0, close + 1);
    const std::string_view after = text.substr(close + 1);
    if (after.empty()) return UrlError::None;
    if (after.front() != ':') return UrlError::BadHost;
    has_port = true;
    port = after.substr(1);
    return UrlError::None;
  }
  const size_t colon = text.find(':');
  host = text.substr(0, colon);
  if (colon != std::string_view::npos) {
    has_port = true;
    port = text.substr(colon + 1);
  }
  return UrlError::None;
}

UrlError parse_into(std::string_view text, const AuthorityRules& rules, Authority& out) {
  if (text.find('@') != std::string_view::npos) return UrlError::Userinfo;
  std::string_view host, port;
  bool has_port = false;
  if (UrlError e = split(text, host, port, has_port); e != UrlError::None) return e;
  if (host.empty()) return UrlError::NoHost;
  if (host.front() == '[') {
    host = host.substr(1, host.size() - 2);
    if (!valid_ipv6(host)) return UrlError::BadIpv6;
    out.ipv6 = true;
  } else if (UrlError e = check_name(host); e != UrlError::None) {
    return e;
  }
  out.host = host;
  out.has_port = has_port;
  if (has_port) return parse_port(port, rules, out.port);
  return rules.require_port ? UrlError::BadPort : UrlError::None;
}

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 3.1)
bool valid_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s.front())) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  return true;
}

}  // namespace

std::string_view describe(UrlError e) {
  switch (e) {
    case UrlError::None: return "";
    case UrlError::BadBytes: return "has spaces, control or non-ASCII bytes";
    case UrlError::NotAbsolute: return "is not an absolute URL";
    case UrlError::NotHttps: return "must use https";
    case UrlError::NoHost: return "has no host";
    case UrlError::Userinfo: return "must not carry userinfo";
    case UrlError::BadIpv6: return "has a bad IPv6 literal";
    case UrlError::BadHost: return "has a bad host";
    case UrlError::BadPort: return "has a bad port";
  }
  return "is not a valid URL";
}

UrlError parse_authority(std::string_view text, const AuthorityRules& rules, Authority& out) {
  out = Authority{};
  out.port = rules.default_port;
  const UrlError e = parse_into(text, rules, out);
  if (e != UrlError::None) {
    out = Authority{};
    out.port = rules.default_port;
  }
  return e;
}

UrlError parse_https_url(std::string_view url, HttpsUrl& out) {
  out = HttpsUrl{};
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return UrlError::BadBytes;
  }
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || !valid_scheme(url.substr(0, sep))) return UrlError::NotAbsolute;
  if (!iequals(url.substr(0, sep), "https")) return UrlError::NotHttps;
  const std::string_view rest = url.substr(sep + 3);
  const size_t end = rest.find_first_of("/?#");
  out.authority_text = rest.substr(0, end);
  if (UrlError e = parse_authority(out.authority_text, AuthorityRules{}, out.authority); e != UrlError::None) {
    out = HttpsUrl{};
    return e;
  }
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  path = path.substr(0, path.find('#'));  // a fragment is never sent
  out.path = path.empty() ? std::string_view("/") : path;
  return UrlError::None;
}

void append_host(std::string& out, const Authority& a) {
  if (a.ipv6) out.push_back('[');
  for (char c : a.host) out.push_back(to_lower(c));
  if (a.ipv6) out.push_back(']');
}

void append_authority(std::string& out, const Authority& a, bool always_port, uint16_t default_port) {
  append_host(out, a);
  if (!always_port && a.port == default_port) return;
  char buf[8];
  const auto r = std::to_chars(buf, buf + sizeof buf, a.port);
  out.push_back(':');
  out.append(buf, r.ptr);
}

bool same_authority(const Authority& a, const Authority& b) {
  return a.ipv6 == b.ipv6 && a.port == b.port && iequals(a.host, b.host);
}

}  // namespace pushgw::base
