// libFuzzer target: base/authority.h, the one parser for Web Push endpoints
// (ingest's SSRF check and the provider's per-message re-read), configured
// origins, redis hosts and listen addresses. Invariants beyond "no crash":
//   - an accepted URL's authority text parses alone to the same Authority;
//   - the canonical form re-parses to the same Authority and is a fixed
//     point (serialise . parse . serialise == serialise);
//   - a host never holds a byte that could change where a request goes
//     ('@', '%', '/', '\\', '[', ']', ':' outside an IPv6 literal, space,
//     control, non-ASCII), and an IPv6 host is what inet_pton accepts;
//   - the path never holds the fragment or a byte that could split a header;
//   - parse errors leave the output reset.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/ascii.h"
#include "base/authority.h"

namespace {

using namespace pushgw::base;

void check(bool cond) {
  if (!cond) __builtin_trap();
}

void check_host(const Authority& a) {
  check(!a.host.empty());
  if (a.ipv6) {
    char buf[64];
    check(a.host.size() < sizeof buf);
    std::memcpy(buf, a.host.data(), a.host.size());
    buf[a.host.size()] = '\0';
    unsigned char addr[16];
    check(inet_pton(AF_INET6, buf, addr) == 1);
    return;
  }
  check(a.host.size() <= 253 && a.host.front() != '.' && a.host.back() != '.');
  for (char c : a.host) check(is_alnum(c) || c == '-' || c == '_' || c == '.');
  check(a.host.find("..") == std::string_view::npos);
}

// canonical(a) parses back to a, and canonical is a fixed point.
void check_round_trip(const Authority& a, const AuthorityRules& rules) {
  std::string c1;
  append_authority(c1, a, /*always_port=*/true, rules.default_port);
  Authority b;
  check(parse_authority(c1, rules, b) == UrlError::None);
  check(same_authority(a, b) && b.has_port);
  std::string c2;
  append_authority(c2, b, /*always_port=*/true, rules.default_port);
  check(c1 == c2);
  // The short form (no default port) round-trips too.
  std::string s1;
  append_authority(s1, a, /*always_port=*/false, rules.default_port);
  Authority d;
  if (!rules.require_port) {
    check(parse_authority(s1, rules, d) == UrlError::None);
    check(same_authority(a, d));
  }
}

void fuzz_authority(std::string_view text, const AuthorityRules& rules) {
  Authority a;
  const UrlError e = parse_authority(text, rules, a);
  if (e != UrlError::None) {
    check(a.host.empty() && !a.has_port && !a.ipv6 && a.port == rules.default_port);
    check(!describe(e).empty());
    return;
  }
  check_host(a);
  check(a.has_port || !rules.require_port);
  check(a.port != 0 || rules.allow_port_zero || (!a.has_port && rules.default_port == 0));
  check_round_trip(a, rules);
}

void fuzz_url(std::string_view text) {
  HttpsUrl u;
  const UrlError e = parse_https_url(text, u);
  if (e != UrlError::None) {
    check(u.authority.host.empty() && u.authority_text.empty() && u.path.empty());
    return;
  }
  check(istarts_with(text, "https://"));
  check_host(u.authority);
  check(u.authority.port != 0);
  // The authority alone reads the same as inside the URL.
  Authority alone;
  check(parse_authority(u.authority_text, AuthorityRules{}, alone) == UrlError::None);
  check(same_authority(alone, u.authority) && alone.has_port == u.authority.has_port);
  check(!u.path.empty() && (u.path.front() == '/' || u.path.front() == '?'));
  for (char c : u.path) {
    const auto b = static_cast<unsigned char>(c);
    check(b > 0x20 && b < 0x7f && c != '#');
  }
  check_round_trip(u.authority, AuthorityRules{});
  // Rebuilding the URL from its canonical parts reads back the same.
  std::string rebuilt = "https://";
  append_authority(rebuilt, u.authority, /*always_port=*/false);
  if (u.path.front() == '?') rebuilt.push_back('/');
  rebuilt.append(u.path);
  HttpsUrl again;
  check(parse_https_url(rebuilt, again) == UrlError::None);
  check(same_authority(again.authority, u.authority));
  check(again.path == (u.path.front() == '?' ? rebuilt.substr(rebuilt.find('/', 8)) : std::string(u.path)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz_url(text);
  fuzz_authority(text, AuthorityRules{});
  fuzz_authority(text, kListenAddress);
  fuzz_authority(text, AuthorityRules{.default_port = 6379});
  return 0;
}
