// IP address classes for the SSRF guard of Web Push endpoints: which
// addresses the gateway may connect to on a subscriber's behalf. Pure
// functions, no I/O: ingest applies them to IP-literal hosts; dispatch applies
// is_public_address() to every address a DNS name resolves to, before
// connecting.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <string_view>

namespace pushgw::net {

enum class IpClass : uint8_t {
  NotIp,        // not an IP literal (a DNS name, or garbage)
  Public,       // globally routable unicast
  Unspecified,  // 0.0.0.0/8, ::
  Loopback,     // 127/8, ::1, "localhost"
  Private,      // RFC 1918, 100.64/10 (CGNAT), fc00::/7 (ULA), fec0::/10
  LinkLocal,    // 169.254/16, fe80::/10
  Multicast,    // 224/4, ff00::/8
  Broadcast,    // 255.255.255.255
  Reserved,     // documentation, benchmarking, 240/4, non-global IPv6 ranges
};

std::string_view to_string(IpClass c);

// Classifies an IP literal: dotted IPv4 (also the legacy forms inet_aton
// accepts, such as "127.1" or "0x7f000001", because resolvers accept them
// too) or IPv6 with or without brackets. IPv4-mapped, NAT64 (64:ff9b::/96)
// and 6to4 (2002::/16) addresses are classified by the IPv4 address inside.
// Returns NotIp for anything else (zone ids such as "fe80::1%eth0" included).
IpClass classify_ip(std::string_view literal);

// Like classify_ip, and additionally "localhost" and "*.localhost" (any case,
// optional trailing dot) are Loopback (RFC 6761). NotIp means a DNS name.
IpClass classify_host(std::string_view host);

// For resolved addresses (AF_INET / AF_INET6). Any other family: false.
bool is_public_address(const sockaddr* sa);

IpClass classify_ipv4(uint32_t host_order);
IpClass classify_ipv6(const uint8_t (&addr)[16]);

}  // namespace pushgw::net
