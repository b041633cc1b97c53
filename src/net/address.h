// IP literal parsing and origin formatting for outbound connections.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pushgw::net {

// True when host is an IPv4 or IPv6 literal (IPv6 without brackets).
bool is_ip_literal(std::string_view host);

// host (IP literal, brackets allowed for IPv6) + port -> socket address.
std::optional<sockaddr_storage> parse_ip(std::string_view host, uint16_t port);

// "host" or "host:port" (port omitted when 443); IPv6 literals in brackets.
std::string authority(std::string_view host, uint16_t port);

// "1.2.3.4:443" / "[::1]:443", for logs.
std::string to_string(const sockaddr* addr);

}  // namespace pushgw::net
