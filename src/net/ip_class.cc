#include "net/ip_class.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "base/ascii.h"

namespace pushgw::net {

std::string_view to_string(IpClass c) {
  switch (c) {
    case IpClass::NotIp: return "not an IP address";
    case IpClass::Public: return "public";
    case IpClass::Unspecified: return "unspecified";
    case IpClass::Loopback: return "loopback";
    case IpClass::Private: return "private";
    case IpClass::LinkLocal: return "link-local";
    case IpClass::Multicast: return "multicast";
    case IpClass::Broadcast: return "broadcast";
    case IpClass::Reserved: return "reserved";
  }
  return "?";
}

namespace {

bool in_v4(uint32_t a, uint32_t net, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (a & mask) == net;
}

uint32_t v4_at(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

// Characters inet_aton accepts in its numeric forms; keeps DNS names such as
// "cafe.example" out (inet_aton would also stop at whitespace).
bool looks_numeric_v4(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == 'x' || c == 'X' || c == '.';
    if (!ok) return false;
  }
  return s[0] >= '0' && s[0] <= '9';
}

}  // namespace

IpClass classify_ipv4(uint32_t a) {
  if (in_v4(a, 0x00000000, 8)) return IpClass::Unspecified;
  if (in_v4(a, 0x7f000000, 8)) return IpClass::Loopback;
  if (in_v4(a, 0x0a000000, 8) || in_v4(a, 0xac100000, 12) || in_v4(a, 0xc0a80000, 16) ||
      in_v4(a, 0x64400000, 10))
    return IpClass::Private;
  if (in_v4(a, 0xa9fe0000, 16)) return IpClass::LinkLocal;
  if (in_v4(a, 0xe0000000, 4)) return IpClass::Multicast;
  if (a == 0xffffffff) return IpClass::Broadcast;
  if (in_v4(a, 0xf0000000, 4) ||      // 240/4 future use
      in_v4(a, 0xc0000000, 24) ||     // 192.0.0/24 IETF protocol assignments
      in_v4(a, 0xc0000200, 24) ||     // 192.0.2/24 TEST-NET-1
      in_v4(a, 0xc6336400, 24) ||     // 198.51.100/24 TEST-NET-2
      in_v4(a, 0xcb007100, 24) ||     // 203.0.113/24 TEST-NET-3
      in_v4(a, 0xc6120000, 15))       // 198.18/15 benchmarking
    return IpClass::Reserved;
  return IpClass::Public;
}

IpClass classify_ipv6(const uint8_t (&b)[16]) {
  if (all_zero(b, 16)) return IpClass::Unspecified;
  if (all_zero(b, 15) && b[15] == 1) return IpClass::Loopback;
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64) reach the IPv4 address.
  if (all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff) return classify_ipv4(v4_at(b + 12));
  static constexpr uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return classify_ipv4(v4_at(b + 12));
  // 6to4 (2002::/16) embeds the IPv4 address in bits 16..47.
  if (b[0] == 0x20 && b[1] == 0x02) return classify_ipv4(v4_at(b + 2));
  if (b[0] == 0xff) return IpClass::Multicast;
  if ((b[0] & 0xfe) == 0xfc) return IpClass::Private;                 // fc00::/7 ULA
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return IpClass::LinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return IpClass::Private;    // fec0::/10 site-local
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return IpClass::Reserved;  // doc
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return IpClass::Reserved;  // Teredo
  if ((b[0] & 0xe0) != 0x20) return IpClass::Reserved;  // outside 2000::/3 global unicast
  return IpClass::Public;
}

IpClass classify_ip(std::string_view lit) {
  if (lit.size() >= 2 && lit.front() == '[' && lit.back() == ']') lit = lit.substr(1, lit.size() - 2);
  if (lit.empty() || lit.size() > 64) return IpClass::NotIp;
  char buf[65];
  std::memcpy(buf, lit.data(), lit.size());
  buf[lit.size()] = '\0';
  if (lit.find(':') != std::string_view::npos) {
    uint8_t a6[16];
    if (inet_pton(AF_INET6, buf, a6) != 1) return IpClass::NotIp;
    return classify_ipv6(a6);
  }
  if (!looks_numeric_v4(lit)) return IpClass::NotIp;
  in_addr a4{};
  if (inet_aton(buf, &a4) == 0) return IpClass::NotIp;
  return classify_ipv4(ntohl(a4.s_addr));
}

IpClass classify_host(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  constexpr std::string_view kLocal = "localhost";
  if (base::iequals(host, kLocal)) return IpClass::Loopback;
  if (host.size() > kLocal.size() + 1 && host[host.size() - kLocal.size() - 1] == '.' &&
      base::iequals(host.substr(host.size() - kLocal.size()), kLocal))
    return IpClass::Loopback;
  return classify_ip(host);
}

bool is_public_address(const sockaddr* sa) {
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return classify_ipv4(ntohl(in.sin_addr.s_addr)) == IpClass::Public;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    uint8_t b[16];
    std::memcpy(b, &in6.sin6_addr, 16);
    return classify_ipv6(b) == IpClass::Public;
  }
  return false;
}

}  // namespace pushgw::net
