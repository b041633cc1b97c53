#include "cli.h"

#include <charconv>

#include "base/ascii.h"
#include "base/authority.h"

namespace pushgw::sim {

namespace {

Error bad(std::string_view flag, std::string_view why) {
  return make_error("bad_args", std::string(flag) + ": " + std::string(why));
}

template <class T>
Result<void> parse_int(std::string_view flag, const std::string& v, T lo, T hi, T& out) {
  T x{};
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || x < lo || x > hi)
    return bad(flag, "expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  out = x;
  return ok();
}

}  // namespace

bool parse_host_port(std::string_view s, std::string& host, uint16_t& port) {
  base::Authority a;
  if (base::parse_authority(s, base::kListenAddress, a) != base::UrlError::None) return false;
  host.assign(a.host);
  if (base::iequals(host, "localhost")) host = "127.0.0.1";
  port = a.port;
  return true;
}

std::string_view ArgReader::next_flag() {
  cur_ = args_[i_++];
  has_inline_ = false;
  if (!cur_.starts_with("--")) return {};
  auto eq = cur_.find('=');
  if (eq != std::string_view::npos) {
    inline_value_ = cur_.substr(eq + 1);
    has_inline_ = true;
    cur_ = cur_.substr(0, eq);
  }
  return cur_;
}

Result<std::string> ArgReader::value() {
  if (has_inline_) return std::string(inline_value_);
  if (i_ >= args_.size()) return bad(cur_, "needs a value");
  return std::string(args_[i_++]);
}

Result<ApnsKeySpec> parse_apns_key_spec(std::string_view s) {
  auto c1 = s.find(':');
  auto c2 = c1 == std::string_view::npos ? c1 : s.find(':', c1 + 1);
  if (c2 == std::string_view::npos || c1 == 0 || c2 == c1 + 1 || c2 + 1 >= s.size())
    return bad("--apns-key", "expects TEAMID:KEYID:FILE");
  return ApnsKeySpec{std::string(s.substr(0, c1)), std::string(s.substr(c1 + 1, c2 - c1 - 1)),
                     std::string(s.substr(c2 + 1))};
}

Result<ServeOptions> parse_serve_args(std::vector<std::string_view> args) {
  ServeOptions o;
  bool has_listen = false;
  ArgReader ar(std::move(args));
  while (!ar.done()) {
    std::string_view f = ar.next_flag();
    if (f.empty()) return bad(ar.current(), "unexpected argument");
    if (f == "--sink") {
      o.sink = true;
      continue;
    }
    auto v = ar.value();
    if (!v) return v.error();
    const std::string& s = *v;
    Result<void> r = ok();
    if (f == "--listen") {
      if (!parse_host_port(s, o.listen_host, o.listen_port)) return bad(f, "expects HOST:PORT");
      has_listen = true;
    } else if (f == "--admin") {
      if (!parse_host_port(s, o.admin_host, o.admin_port)) return bad(f, "expects HOST:PORT");
      o.has_admin = true;
    } else if (f == "--cert") {
      o.cert_file = s;
    } else if (f == "--key") {
      o.key_file = s;
    } else if (f == "--apns-key") {
      auto k = parse_apns_key_spec(s);
      if (!k) return k.error();
      o.apns_keys.push_back(std::move(k.value()));
    } else if (f == "--apns-topic") {
      if (s.empty()) return bad(f, "expects a bundle id");
      o.apns_topics.push_back(s);
    } else if (f == "--fcm-service-account") {
      o.fcm_service_accounts.push_back(s);
    } else if (f == "--webpush-subscriptions") {
      o.webpush_subscriptions = s;
    } else if (f == "--slow-ms") {
      r = parse_int<int64_t>(f, s, 0, 600'000, o.slow_ms);
    } else if (f == "--max-streams") {
      r = parse_int<uint32_t>(f, s, 0, 1u << 31, o.max_streams);  // 0: a peer that allows no stream
    } else if (f == "--token-ttl") {
      r = parse_int<int64_t>(f, s, 1, 7 * 86400, o.token_ttl_s);
    } else if (f == "--threads") {
      r = parse_int<int>(f, s, 1, 64, o.threads);
    } else if (f == "--fault") {
      o.faults.push_back(s);
    } else if (f == "--port-file") {
      o.port_file = s;
    } else if (f == "--log-level") {
      o.log_level = s;
    } else {
      return bad(f, "unknown option");
    }
    if (!r) return r.error();
  }
  if (!has_listen) return bad("--listen", "is required");
  if (o.cert_file.empty() || o.key_file.empty()) return bad("--cert/--key", "are required");
  return o;
}

}  // namespace pushgw::sim
