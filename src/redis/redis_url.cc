// Redis server urls for [ingest.redis] url. Pure string work; the daemon
// resolves the host later, on the loop's thread pool.
#include <charconv>

#include "base/ascii.h"
#include "base/authority.h"
#include "redis/config.h"

namespace pushgw::redis {
namespace {

Error bad(std::string_view why) { return make_error("bad_url", std::string(why)); }

bool parse_number(std::string_view s, int64_t max, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0 && out <= max;
}

constexpr int64_t kMaxDb = 1'000'000;

Result<RedisEndpoint> parse_unix(std::string_view rest) {
  RedisEndpoint e;
  // "unix:///path" and "unix:/path" name the same socket.
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest.front() != '/') return bad("a unix: url needs an absolute socket path");
  e.unix_path.assign(rest);
  if (!query.empty()) {
    int64_t db = 0;
    if (query.substr(0, 3) != "db=" || !parse_number(query.substr(3), kMaxDb, db))
      return bad("the only query a unix: url takes is ?db=N");
    e.db = static_cast<int>(db);
  }
  return e;
}

// host[:port], host possibly "[v6]".
bool split_host_port(std::string_view hp, RedisEndpoint& e) {
  base::Authority a;
  if (base::parse_authority(hp, base::AuthorityRules{.default_port = e.port}, a) != base::UrlError::None) return false;
  e.host.assign(a.host);
  e.port = a.port;
  return true;
}

Result<RedisEndpoint> parse_tcp(std::string_view rest) {
  RedisEndpoint e;
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) return bad("credentials must be written user:password@ or :password@");
    if (!base::percent_decode(userinfo.substr(0, colon), e.username) ||
        !base::percent_decode(userinfo.substr(colon + 1), e.password))
      return bad("bad %-escape in the credentials");
    if (e.password.empty()) return bad("empty password");
  }
  if (!split_host_port(rest, e)) return bad("needs host[:port] with a port between 1 and 65535");
  if (!path.empty()) {
    int64_t db = 0;
    if (!parse_number(path, kMaxDb, db)) return bad("the path must be a database number, like /0");
    e.db = static_cast<int>(db);
  }
  return e;
}

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kRedis = "redis://", kUnix = "unix:";
  if (url.substr(0, kRedis.size()) == kRedis) return parse_tcp(url.substr(kRedis.size()));
  if (url.substr(0, kUnix.size()) == kUnix) return parse_unix(url.substr(kUnix.size()));
  return bad("must start with redis:// or unix:");
}

std::string redact_redis_url(std::string_view url) {
  constexpr std::string_view kRedis = "redis://";
  if (url.substr(0, kRedis.size()) != kRedis) return std::string(url);
  std::string_view rest = url.substr(kRedis.size());
  const auto end = rest.find('/');
  const auto at = rest.substr(0, end).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string_view userinfo = rest.substr(0, at);
  const auto colon = userinfo.find(':');
  std::string out(kRedis);
  out.append(userinfo.substr(0, colon));
  out.append(":***");
  out.append(rest.substr(at));
  return out;
}

}  // namespace pushgw::redis
