#include "webpush.h"

#include <charconv>

#include "base/ascii.h"
#include "base/base64url.h"
#include "crypto/ece.h"
#include "crypto/jwt.h"
#include "json_out.h"

namespace pushgw::sim {

namespace {

constexpr std::string_view kPathPrefix = "/wp/";

bool url_safe_b64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

const char* phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

bool parse_ttl(std::string_view s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= 0;
}

}  // namespace

bool valid_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 32) return false;
  for (char c : topic)
    if (!url_safe_b64_char(c)) return false;
  return true;
}

bool valid_urgency(std::string_view u) { return u == "very-low" || u == "low" || u == "normal" || u == "high"; }

bool parse_vapid_header(std::string_view a, std::string_view& t, std::string_view& k) {
  if (a.size() < 6 || !base::iequals(a.substr(0, 6), "vapid ")) return false;
  a.remove_prefix(6);
  t = k = {};
  while (!a.empty()) {
    while (!a.empty() && (a.front() == ' ' || a.front() == ',')) a.remove_prefix(1);
    size_t end = a.find(',');
    std::string_view param = a.substr(0, end);
    a = end == std::string_view::npos ? std::string_view() : a.substr(end + 1);
    while (!param.empty() && param.back() == ' ') param.remove_suffix(1);
    if (param.starts_with("t=")) t = param.substr(2);
    else if (param.starts_with("k=")) k = param.substr(2);
  }
  return !t.empty() && !k.empty();
}

void WebPushService::set_origin(std::string origin) {
  origin_ = std::move(origin);
  // Accept the same port under its other loopback name.
  origin_localhost_ = origin_;
  if (auto at = origin_localhost_.find("127.0.0.1"); at != std::string::npos)
    origin_localhost_.replace(at, 9, "localhost");
  // And under any name below pushgw.test (the certificate covers
  // *.pushgw.test): tests that resolve made-up names to this sim.
  const auto colon = origin_.rfind(':');
  test_name_suffix_ = colon != std::string::npos ? ".pushgw.test" + origin_.substr(colon) : std::string();
}

bool WebPushService::audience_ok(std::string_view aud) const {
  if (aud == origin_ || aud == origin_localhost_) return true;
  return !test_name_suffix_.empty() && aud.starts_with("https://") && aud.ends_with(test_name_suffix_);
}

Result<size_t> WebPushService::load_subscriptions(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  if (parser.parse(json.data(), json.size()).get(arr) != simdjson::SUCCESS)
    return make_error("bad_subscriptions", "subscriptions file must be a JSON array");
  size_t n = 0;
  for (simdjson::dom::element e : arr) {
    std::string_view endpoint, auth_b64, pem;
    if (e["endpoint"].get(endpoint) || e["keys"]["auth"].get(auth_b64) || e["private_key"].get(pem))
      return make_error("bad_subscriptions", "entry " + std::to_string(n) + ": needs endpoint, keys.auth, private_key");
    auto at = endpoint.find(kPathPrefix);
    auto auth = base::base64url_decode(auth_b64);
    if (at == std::string_view::npos || at + kPathPrefix.size() == endpoint.size())
      return make_error("bad_subscriptions", "entry " + std::to_string(n) + ": endpoint path must be /wp/<id>");
    if (!auth || auth->size() != 16)
      return make_error("bad_subscriptions", "entry " + std::to_string(n) + ": keys.auth must be 16 bytes");
    subs_[std::string(endpoint.substr(at + kPathPrefix.size()))] =
        Subscription{std::string(endpoint), std::move(*auth), std::string(pem), nullptr};
    ++n;
  }
  return n;
}

int WebPushService::check_vapid(HandlerCtx& ctx, std::string_view authorization) {
  std::string_view t, k;
  if (authorization.empty()) return 401;
  if (!parse_vapid_header(authorization, t, k)) return base::iequals(authorization.substr(0, 6), "vapid ") ? 403 : 401;
  std::string cache_key;
  cache_key.reserve(t.size() + k.size() + 1);
  cache_key.append(t).append(" ").append(k);
  const int64_t now = ctx.clock.now_s();
  int64_t exp = 0;
  bool cached = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (auto it = vapid_.find(cache_key); it != vapid_.end()) {
      exp = it->second;
      cached = true;
    }
  }
  if (!cached) {
    auto raw = base::base64url_decode(k);
    if (!raw) return 403;
    auto pub = crypto::p256_from_public_uncompressed(*raw);
    auto parts = crypto::jwt_decode(t);
    if (!pub || !parts) return 403;
    simdjson::dom::element h, c;
    std::string_view alg, aud, sub;
    if (ctx.json.parse(parts->header_json).get(h) != simdjson::SUCCESS || h["alg"].get(alg) || alg != "ES256")
      return 403;
    if (ctx.json.parse(parts->claims_json).get(c) != simdjson::SUCCESS || c["aud"].get(aud) || c["exp"].get(exp) ||
        c["sub"].get(sub))
      return 403;
    if (!audience_ok(aud) || !(sub.starts_with("mailto:") || sub.starts_with("https:")))
      return 403;
    bump(stats_.webpush.vapid_verifications);
    if (!crypto::jwt_verify(t, pub->get())) return 403;
    std::lock_guard<std::mutex> g(mu_);
    if (vapid_.size() >= 4096) vapid_.clear();
    vapid_.emplace(std::move(cache_key), exp);
  }
  if (exp <= now || exp > now + kVapidMaxLifetimeS + kVapidSkewS) return 403;
  return 0;
}

const EVP_PKEY* WebPushService::key_of(Subscription& s) {
  std::lock_guard<std::mutex> g(keys_mu_);
  if (!s.key) {
    auto k = crypto::load_private_key_pem(s.pem);
    if (k) s.key = std::move(k.value());
  }
  return s.key.get();
}

void WebPushService::answer(HandlerCtx&, SimResponse& resp, int status, std::string_view message) {
  resp.status = status;
  resp.headers.add("content-type", "application/json");
  resp.body = "{\"code\":";
  json_append_int(resp.body, status);
  resp.body += ",\"error\":";
  json_append_string(resp.body, phrase(status));
  resp.body += ",\"message\":";
  json_append_string(resp.body, message);
  resp.body += '}';
  if (status == 429 || status == 503) resp.headers.add("retry-after", "1");
}

void WebPushService::accepted(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  resp.status = 201;
  ctx.scratch = origin_;
  ctx.scratch += "/msg/";
  json_append_uint(ctx.scratch, next_location_.fetch_add(1, std::memory_order_relaxed));
  resp.headers.add("location", ctx.scratch);
  if (req.headers.has("ttl")) resp.headers.add("ttl", req.headers.get("ttl"));
}

Disposition WebPushService::handle(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.webpush.requests);
  std::string_view id = std::string_view(req.path).substr(kPathPrefix.size());
  if (req.method != "POST") {
    answer(ctx, resp, 405, "POST required");
    return Disposition::kNow;
  }
  if (int s = check_vapid(ctx, req.headers.get("authorization")); s != 0) {
    answer(ctx, resp, s, s == 401 ? "Missing VAPID authorization" : "Invalid VAPID token");
    return Disposition::kNow;
  }
  int64_t ttl = 0;
  if (!parse_ttl(req.headers.get("ttl"), ttl)) {
    answer(ctx, resp, 400, "Missing or invalid TTL header");
    return Disposition::kNow;
  }
  if (req.body_size > kWebPushMaxBody) {
    answer(ctx, resp, 413, "Body exceeds 4096 bytes");
    return Disposition::kNow;
  }
  if (req.body_size > 0 && req.headers.get("content-encoding") != "aes128gcm") {
    answer(ctx, resp, 415, "Content-Encoding must be aes128gcm");
    return Disposition::kNow;
  }
  std::string_view topic = req.headers.get("topic"), urgency = req.headers.get("urgency");
  if (req.headers.has("topic") && !valid_topic(topic)) {
    answer(ctx, resp, 400, "Topic must be at most 32 URL-safe base64 characters");
    return Disposition::kNow;
  }
  if (req.headers.has("urgency") && !valid_urgency(urgency)) {
    answer(ctx, resp, 400, "Urgency must be very-low, low, normal or high");
    return Disposition::kNow;
  }
  const WebPushScript script = webpush_script_for(id);
  switch (script) {
    case WebPushScript::kGone: answer(ctx, resp, 410, "Subscription has expired"); return Disposition::kNow;
    case WebPushScript::kNotFound: answer(ctx, resp, 404, "Subscription not found"); return Disposition::kNow;
    case WebPushScript::kTooLarge: answer(ctx, resp, 413, "Payload too large"); return Disposition::kNow;
    case WebPushScript::kRateLimitFirst:
      if (first_n_.take(id, 1)) {
        answer(ctx, resp, 429, "Too many requests");
        return Disposition::kNow;
      }
      break;
    case WebPushScript::kUnavailableFirst:
      if (first_n_.take(id, 1)) {
        answer(ctx, resp, 503, "Service unavailable");
        return Disposition::kNow;
      }
      break;
    default: break;
  }
  auto it = subs_.find(std::string(id));
  if (it == subs_.end()) {
    answer(ctx, resp, 404, "Subscription not found");
    return Disposition::kNow;
  }
  Subscription& sub = it->second;
  std::string plaintext;
  if (req.body_size > 0) {
    const EVP_PKEY* key = key_of(sub);
    if (!ctx.ece) {
      auto e = crypto::EceEncryptor::create();
      if (e) ctx.ece.emplace(std::move(e.value()));
    }
    auto pt = key && ctx.ece ? ctx.ece->decrypt(req.body, key, sub.auth)
                             : Result<std::string>(make_error("decrypt_failed", "no key"));
    if (!pt) {
      bump(stats_.webpush.decrypt_failures);
      answer(ctx, resp, 400, "Could not decrypt the body (" + pt.error().code + ")");
      return Disposition::kNow;
    }
    plaintext = std::move(pt.value());
  }
  records_.record(Platform::kWebPush, sub.endpoint);
  {
    std::lock_guard<std::mutex> g(mu_);
    if (messages_.size() < kMaxRecordedMessages)
      messages_.push_back(WebPushMessage{sub.endpoint, std::move(plaintext),
                                         urgency.empty() ? std::string("normal") : std::string(urgency),
                                         std::string(topic), ttl, req.headers.has("topic")});
  }
  accepted(ctx, req, resp);
  return script == WebPushScript::kSlow ? Disposition::kDelay : Disposition::kNow;
}

void WebPushService::handle_sink(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.webpush.requests);
  ctx.scratch = origin_;
  ctx.scratch += req.path;
  records_.record(Platform::kWebPush, ctx.scratch);
  accepted(ctx, req, resp);
}

std::string WebPushService::messages_json() const {
  std::string out = "[";
  std::lock_guard<std::mutex> g(mu_);
  for (size_t i = 0; i < messages_.size(); ++i) {
    const WebPushMessage& m = messages_[i];
    out += i ? ",{\"endpoint\":" : "{\"endpoint\":";
    json_append_string(out, m.endpoint);
    out += ",\"plaintext\":";
    json_append_string(out, m.plaintext);
    out += ",\"ttl\":";
    json_append_int(out, m.ttl);
    out += ",\"urgency\":";
    json_append_string(out, m.urgency);
    out += ",\"topic\":";
    if (m.has_topic) json_append_string(out, m.topic);
    else out += "null";
    out += '}';
  }
  out += ']';
  return out;
}

void WebPushService::reset() {
  {
    std::lock_guard<std::mutex> g(mu_);
    vapid_.clear();
    messages_.clear();
  }
  first_n_.clear();
}

}  // namespace pushgw::sim
