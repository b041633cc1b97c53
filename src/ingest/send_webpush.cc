// Web Push notifications: subscriptions (endpoint + keys), a payload given as
// a string (raw bytes) or JSON, and the RFC 8030 header options.
#include <algorithm>
#include <string>

#include "base/authority.h"
#include "crypto/p256_checker.h"
#include "ingest/send_detail.h"
#include "net/ip_class.h"

namespace pushgw::ingest::detail {
namespace {

bool is_topic(std::string_view t) {
  if (t.empty() || t.size() > 32) return false;
  for (char ch : t) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_';
    if (!ok) return false;
  }
  return true;
}

const char* read_options(dom::object o, WebPushOptions& opt) {
  int64_t ttl = 0;
  switch (get_int(o, "ttl", ttl)) {
    case Got::Bad: return "ttl must be an integer >= 0 (seconds)";
    case Got::Ok:
      if (ttl < 0) return "ttl must be an integer >= 0 (seconds)";
      opt.ttl = ttl;
      break;
    case Got::Absent: break;
  }
  std::string_view s;
  switch (get_string(o, "urgency", s)) {
    case Got::Bad: return "urgency must be very-low, low, normal or high";
    case Got::Ok:
      if (s != "very-low" && s != "low" && s != "normal" && s != "high")
        return "urgency must be very-low, low, normal or high";
      opt.urgency.assign(s);
      break;
    case Got::Absent: break;
  }
  switch (get_string(o, "topic", s)) {
    case Got::Bad: return "topic must be a string";
    case Got::Ok:
      if (!is_topic(s)) return "topic must be 1 to 32 characters of [A-Za-z0-9_-]";
      opt.topic.assign(s);
      break;
    case Got::Absent: break;
  }
  return nullptr;
}

// The message's TTL is its expiry, as APNs "expiration" is: never sent, nor
// retried, after accept + ttl (the earlier of that and "expires_at"). A ttl
// of 0 means now or never: one attempt, no retry.
void apply_ttl(int64_t now_ms, int64_t ttl_s, Batch& b) {
  constexpr int64_t kMaxTtlS = int64_t{100} * 365 * 86400;  // keeps ttl * 1000 far from overflow
  if (ttl_s == 0) {
    b.once = true;
    return;
  }
  const int64_t end = now_ms + std::min(ttl_s, kMaxTtlS) * 1000;
  if (b.expires_at_ms == 0 || end < b.expires_at_ms) b.expires_at_ms = end;
}

// "payload": a string is sent as its raw bytes, an object/array as its JSON;
// absent or null means no payload. Fails with bad_request for other types,
// or with the template's own error.
Result<Template> compile_payload(dom::object o, Batch& b) {
  dom::element p;
  if (o.at_key("payload").get(p) != simdjson::SUCCESS || p.is_null())
    return Template::compile({}, Template::Mode::Raw, b.vars_table);
  std::string_view s;
  if (p.get_string().get(s) == simdjson::SUCCESS) return Template::compile(s, Template::Mode::Raw, b.vars_table);
  if (!p.is_object() && !p.is_array())
    return make_error("bad_request", "Web Push payload must be a string, an object or an array");
  return Template::compile(simdjson::minify(p), Template::Mode::Json, b.vars_table);
}

// Rendered sizes stop being counted past the limit: say "at least".
std::string too_large(size_t size, bool exact = false) {
  return std::string("Web Push payload is ") + (exact ? "" : "at least ") + std::to_string(size) + " bytes, limit " +
         std::to_string(kWebPushMaxPlaintext);
}

// Decodes base64url (or standard base64, which some subscription serializers
// emit), padded or not, into exactly `want` bytes. No allocation.
bool decode_key(std::string_view in, unsigned char* out, size_t want) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() != (want * 8 + 5) / 6) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '-' || ch == '+') v = 62;
    else if (ch == '_' || ch == '/') v = 63;
    else return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == want) return false;
      out[n++] = static_cast<unsigned char>((acc >> bits) & 0xff);
    }
  }
  return n == want;
}

struct Keys {
  unsigned char p256dh[65];
  unsigned char auth[16];
  std::string_view p256dh_view() const { return {reinterpret_cast<const char*>(p256dh), sizeof p256dh}; }
  std::string_view auth_view() const { return {reinterpret_cast<const char*>(auth), sizeof auth}; }
};

// Decodes and checks "keys"; returns the problem, or nullptr.
const char* read_keys(dom::object sub, const crypto::P256Checker& curve, Keys& k) {
  dom::object keys;
  if (sub.at_key("keys").get(keys) != simdjson::SUCCESS) return "subscription needs a \"keys\" object";
  std::string_view p256dh, auth;
  if (keys.at_key("p256dh").get(p256dh) != simdjson::SUCCESS || keys.at_key("auth").get(auth) != simdjson::SUCCESS)
    return "keys need \"p256dh\" and \"auth\" strings";
  if (!decode_key(p256dh, k.p256dh, sizeof k.p256dh) || !curve.valid_uncompressed(k.p256dh_view()))
    return "keys.p256dh must be a base64url uncompressed P-256 point (65 bytes)";
  if (!decode_key(auth, k.auth, sizeof k.auth)) return "keys.auth must be base64url of 16 bytes";
  return nullptr;
}

// Checks the endpoint URL and the SSRF guard; returns false after rejecting.
// The provider re-reads the URL with the same parser (base/authority.h), so
// the host checked here is the host it connects to.
bool check_endpoint(Ctx& c, std::string_view endpoint) {
  base::HttpsUrl url;
  if (base::UrlError e = base::parse_https_url(endpoint, url); e != base::UrlError::None) {
    const bool refused = e == base::UrlError::NotHttps;
    std::string msg = "endpoint ";
    msg.append(base::describe(e));
    reject(c.out, c.n, endpoint, true, refused ? "endpoint_refused" : "bad_subscription", msg);
    return false;
  }
  const uint16_t port = url.authority.port;
  const auto& ports = c.app->endpoint_ports;
  if (port != 443 && std::find(ports.begin(), ports.end(), port) == ports.end()) {
    reject(c.out, c.n, endpoint, true, "endpoint_refused",
           "endpoint port " + std::to_string(port) + " is not 443 or in the app's endpoint_ports");
    return false;
  }
  net::IpClass cls = net::classify_host(url.authority.host);
  if (cls != net::IpClass::NotIp && cls != net::IpClass::Public && !c.app->allow_private_endpoints) {
    std::string msg = "endpoint host is a ";
    msg.append(to_string(cls)).append(" address (allow_private_endpoints is off)");
    reject(c.out, c.n, endpoint, true, "endpoint_refused", msg);
    return false;
  }
  return true;
}

// Subscriptions that name an endpoint: arena bytes for it, its keys (81)
// and some vars.
ReserveHint subscription_hint(dom::array subs) {
  ReserveHint h;
  for (dom::element e : subs) {
    dom::object sub;
    std::string_view endpoint;
    if (e.get(sub) != simdjson::SUCCESS || sub.at_key("endpoint").get(endpoint) != simdjson::SUCCESS) continue;
    ++h.count;
    h.bytes += endpoint.size() + 81 + 32;
  }
  return h;
}

void add_subscription(Ctx& c, Batch& b, RecipientWriter& w, const crypto::P256Checker& curve, dom::element e, Keys& keys) {
  dom::object sub;
  std::string_view endpoint;
  if (e.get(sub) != simdjson::SUCCESS) {
    reject(c.out, c.n, {}, true, "bad_subscription", "subscription must be an object");
    return;
  }
  if (sub.at_key("endpoint").get(endpoint) != simdjson::SUCCESS) {
    reject(c.out, c.n, {}, true, "bad_subscription", "subscription needs an \"endpoint\" string");
    return;
  }
  if (!check_endpoint(c, endpoint)) return;
  if (const char* bad = read_keys(sub, curve, keys)) {
    reject(c.out, c.n, endpoint, true, "bad_subscription", bad);
    return;
  }
  w.begin(endpoint);
  w.add_keys(keys.p256dh_view(), keys.auth_view());
  dom::element vars;
  if (sub.at_key("vars").get(vars) == simdjson::SUCCESS && !w.set_vars(vars)) {
    w.rollback();
    reject(c.out, c.n, endpoint, true, "bad_request", "vars must be an object");
    return;
  }
  if (size_t size = w.rendered_size(kWebPushMaxPlaintext); size > kWebPushMaxPlaintext) {
    w.rollback();
    reject(c.out, c.n, endpoint, true, "payload_too_large", too_large(size));
    return;
  }
  place(c, b, w, &e, endpoint, true);
}

}  // namespace

void parse_webpush(Ctx& c) {
  dom::array subs;
  if (c.obj.at_key("subscriptions").get(subs) != simdjson::SUCCESS) {
    reject_all(c, "bad_request", "Web Push notification needs a \"subscriptions\" array");
    return;
  }
  WebPushOptions opt;
  if (const char* bad = read_options(c.obj, opt)) {
    reject_all(c, "bad_request", bad);
    return;
  }
  auto b = new_batch(c);
  if (!b) return;
  apply_ttl(c.now_ms, opt.ttl, *b);
  b->webpush = std::move(opt);
  auto tmpl = compile_payload(c.obj, *b);
  if (!tmpl.ok()) {
    const bool bad_type = tmpl.error().code == "bad_request";
    reject_all(c, tmpl.error().code, bad_type ? tmpl.error().message : "Web Push payload has " + tmpl.error().message);
    return;
  }
  b->tmpl = std::move(tmpl).value();
  if (!b->tmpl.has_vars() && b->tmpl.text().size() > kWebPushMaxPlaintext) {
    reject_all(c, "payload_too_large", too_large(b->tmpl.text().size(), true));
    return;
  }
  crypto::P256Checker curve;
  Keys keys;
  c.list_key = "subscriptions";
  const ReserveHint hint = subscription_hint(subs);
  RecipientWriter w(*b, hint.count, hint.bytes);
  for (dom::element e : subs) add_subscription(c, *b, w, curve, e, keys);
  finish(c, std::move(b));
}

}  // namespace pushgw::ingest::detail
