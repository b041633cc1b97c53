#include "provider/webpush/webpush_endpoint.h"

#include <charconv>

namespace pushgw::provider {
namespace {

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_';
}
bool v6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

bool parse_port(std::string_view s, uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

bool split_authority(std::string_view a, EndpointParts& out) {
  std::string_view port_text;
  bool has_port = false;
  if (!a.empty() && a.front() == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    out.host = a.substr(1, close - 1);
    out.ipv6 = true;
    for (char c : out.host)
      if (!v6_char(c)) return false;
    std::string_view after = a.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = a.find(':');
    out.host = a.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = a.substr(colon + 1);
    }
    if (out.host.empty()) return false;
    for (char c : out.host)
      if (!host_char(c)) return false;
  }
  out.port = 443;
  return !has_port || parse_port(port_text, out.port);
}

}  // namespace

bool split_endpoint(std::string_view url, EndpointParts& out) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() <= kScheme.size() || !iequals(url.substr(0, kScheme.size()), kScheme)) return false;
  std::string_view rest = url.substr(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  out = EndpointParts{};
  if (!split_authority(authority, out)) return false;
  out.path = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
  if (size_t hash = out.path.find('#'); hash != std::string_view::npos) out.path = out.path.substr(0, hash);
  if (out.path.empty()) out.path = "/";
  for (char c : out.path)  // nothing that could split or smuggle a header
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return true;
}

void append_host_port(const EndpointParts& p, bool with_default_port, std::string& out) {
  if (p.ipv6) out.push_back('[');
  for (char c : p.host) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  if (p.ipv6) out.push_back(']');
  if (with_default_port || p.port != 443) {
    char buf[8];
    auto r = std::to_chars(buf, buf + sizeof buf, p.port);
    out.push_back(':');
    out.append(buf, r.ptr);
  }
}

}  // namespace pushgw::provider
