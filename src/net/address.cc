#include "net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace pushgw::net {

std::optional<sockaddr_storage> parse_ip(std::string_view host, uint16_t port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return ss;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return ss;
  }
  return std::nullopt;
}

bool is_ip_literal(std::string_view host) { return parse_ip(host, 0).has_value(); }

std::string authority(std::string_view host, uint16_t port) {
  std::string out;
  bool v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  if (port != 443) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string to_string(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    port = ntohs(v4->sin_port);
    std::string out(buf);
    out.push_back(':');
    out.append(std::to_string(port));
    return out;
  }
  if (addr->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    port = ntohs(v6->sin6_port);
    // Built with append: GCC 12 flags operator+ chains here with a false -Wrestrict.
    std::string out;
    out.reserve(INET6_ADDRSTRLEN + 8);
    out.push_back('[');
    out.append(buf);
    out.append("]:");
    out.append(std::to_string(port));
    return out;
  }
  return "?";
}

}  // namespace pushgw::net
