#include "apns.h"

#include "base/ascii.h"
#include "base/base64url.h"
#include "crypto/jwt.h"
#include "json_out.h"

namespace pushgw::sim {

namespace {

constexpr std::string_view kDevicePrefix = "/3/device/";

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool known_push_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {"alert", "background", "location", "voip", "complication",
                                                "fileprovider", "mdm", "liveactivity", "pushtotalk"};
  for (auto k : kTypes)
    if (t == k) return true;
  return false;
}

}  // namespace

ApnsVerdict apns_parse_path(std::string_view path, std::string_view& token) {
  if (!path.starts_with(kDevicePrefix)) return {404, "BadPath"};
  token = path.substr(kDevicePrefix.size());
  if (token.empty()) return {400, "MissingDeviceToken"};
  if (token.size() != 64 || !base::is_hex(token)) return {400, "BadDeviceToken"};
  return {};
}

ApnsVerdict apns_check_headers(const HeaderList& h) {
  static constexpr std::string_view kSingle[] = {"authorization", "apns-id", "apns-topic", "apns-push-type",
                                                 "apns-priority", "apns-expiration", "apns-collapse-id"};
  for (auto name : kSingle)
    if (h.count(name) > 1) return {400, "DuplicateHeaders"};
  if (h.has("apns-id") && !is_uuid(h.get("apns-id"))) return {400, "BadMessageId"};
  if (h.get("apns-topic").empty()) return {400, "MissingTopic"};
  std::string_view push_type = h.get("apns-push-type");
  if (h.has("apns-push-type") && !known_push_type(push_type)) return {400, "InvalidPushType"};
  if (h.has("apns-priority")) {
    std::string_view p = h.get("apns-priority");
    if (p != "10" && p != "5" && p != "1") return {400, "BadPriority"};
    // Apple: background notifications must not use priority 10.
    if (push_type == "background" && p == "10") return {400, "BadPriority"};
  }
  if (h.has("apns-expiration") && !is_digits(h.get("apns-expiration"))) return {400, "BadExpirationDate"};
  if (h.get("apns-collapse-id").size() > 64) return {400, "BadCollapseId"};
  return {};
}

ApnsVerdict apns_check_payload(const SimRequest& r, simdjson::dom::parser& parser) {
  if (r.body_size == 0) return {400, "PayloadEmpty"};
  const size_t limit = r.headers.get("apns-push-type") == "voip" ? kApnsMaxVoipPayload : kApnsMaxPayload;
  if (r.body_size > limit) return {413, "PayloadTooLarge"};
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc) != simdjson::SUCCESS || !doc.is_object()) return {400, "BadPayload"};
  return {};
}

Result<void> ApnsService::add_key(std::string team_id, std::string key_id, std::string_view pem) {
  auto key = crypto::load_private_key_pem(pem);
  if (!key) key = crypto::load_public_key_pem(pem);
  if (!key) return make_error("bad_key", "APNs key " + key_id + ": not a P-256 private or public key PEM");
  if (!crypto::is_p256(key->get()))
    return make_error("bad_key", "APNs key " + key_id + ": not a P-256 key");
  keys_[std::move(key_id)] = Key{std::move(team_id), std::move(key.value())};
  return ok();
}

ApnsVerdict ApnsService::verify_new_token(HandlerCtx& ctx, std::string_view jwt, int64_t& iat) {
  auto parts = crypto::jwt_decode(jwt);
  if (!parts) return {403, "InvalidProviderToken"};
  std::string kid;
  {
    simdjson::dom::element h;
    std::string_view alg, k;
    if (ctx.json.parse(parts->header_json).get(h) != simdjson::SUCCESS || h["alg"].get(alg) ||
        h["kid"].get(k) || alg != "ES256")
      return {403, "InvalidProviderToken"};
    kid.assign(k);
  }
  auto key = keys_.find(kid);
  if (key == keys_.end()) return {403, "InvalidProviderToken"};
  simdjson::dom::element c;
  std::string_view iss;
  if (ctx.json.parse(parts->claims_json).get(c) != simdjson::SUCCESS || c["iss"].get(iss) ||
      c["iat"].get(iat) || iss != key->second.team_id)
    return {403, "InvalidProviderToken"};
  bump(stats_.apns.jwt_verifications);
  if (!crypto::jwt_verify(jwt, key->second.key.get())) return {403, "InvalidProviderToken"};
  return {};
}

void ApnsService::refresh_faults_locked() {
  const uint64_t gen = faults_.generation();
  if (gen == faults_gen_) return;
  faults_gen_ = gen;
  jwt_faults_ = faults_.get();
  reject_target_ = newest_jwt_;  // "current": the newest accepted token when the fault was set
}

ApnsVerdict ApnsService::jwt_fault_locked(std::string_view jwt, int64_t iat) {
  const FaultSet& f = jwt_faults_;
  if (!f.rejects_jwts()) return {};
  bool reject = f.reject_jwt == FaultSet::RejectJwt::All || (f.reject_jwt_before_s && iat < *f.reject_jwt_before_s);
  if (f.reject_jwt == FaultSet::RejectJwt::Current) {
    if (reject_target_.empty()) reject_target_.assign(jwt);  // none seen when it was set: the first one after
    reject = reject || jwt == reject_target_;
  }
  if (!reject) return {};
  bump(stats_.apns.jwt_rejections);
  return {403, f.reject_jwt_invalid ? "InvalidProviderToken" : "ExpiredProviderToken"};
}

ApnsVerdict ApnsService::check_provider_token(HandlerCtx& ctx, std::string_view authorization) {
  if (authorization.empty()) return {403, "MissingProviderToken"};
  if (!base::istarts_with(authorization, "bearer ")) return {403, "InvalidProviderToken"};
  std::string_view jwt = authorization.substr(7);
  int64_t iat = 0;
  bool cached = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    refresh_faults_locked();
    if (auto it = verified_.find(std::string(jwt)); it != verified_.end()) {
      iat = it->second;
      cached = true;
    }
  }
  if (!cached) {
    ApnsVerdict v = verify_new_token(ctx, jwt, iat);
    if (!v.passed()) return v;
    std::lock_guard<std::mutex> g(mu_);
    if (verified_.size() >= 4096) verified_.clear();  // bound memory against token churn
    if (verified_.emplace(jwt, iat).second) {
      bump(stats_.apns.jwts_accepted);
      newest_jwt_.assign(jwt);
    }
  }
  const int64_t now = ctx.clock.now_s();
  if (now - iat > kApnsTokenMaxAgeS) return {403, "ExpiredProviderToken"};
  if (iat - now > kApnsTokenMaxSkewS) return {403, "InvalidProviderToken"};
  std::lock_guard<std::mutex> g(mu_);
  return jwt_fault_locked(jwt, iat);
}

void ApnsService::answer(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp, int status,
                         std::string_view reason) {
  resp.status = status;
  std::string_view id = req.headers.get("apns-id");
  if (is_uuid(id)) {
    resp.headers.add("apns-id", id);
  } else {
    uuid_v4(ctx.rng, ctx.scratch);
    resp.headers.add("apns-id", ctx.scratch);
  }
  if (status == 200) return;
  resp.headers.add("content-type", "application/json");
  resp.body = "{\"reason\":";
  json_append_string(resp.body, reason);
  if (status == 410) {
    resp.body += ",\"timestamp\":";
    json_append_int(resp.body, ctx.clock.now_ms());
  }
  resp.body += '}';
  if (status == 429) resp.headers.add("retry-after", "1");
}

Disposition ApnsService::handle(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.apns.requests);
  if (req.method != "POST") {
    answer(ctx, req, resp, 405, "MethodNotAllowed");
    return Disposition::kNow;
  }
  std::string_view token;
  if (ApnsVerdict v = apns_parse_path(req.path, token); !v.passed()) {
    answer(ctx, req, resp, v.status, v.reason);
    return Disposition::kNow;
  }
  const ApnsScriptMatch script = apns_script_for(token);
  // Scripted before auth on purpose: the test wants this answer whatever JWT was sent.
  if (script.kind == ApnsScript::kExpiredProviderFirst && first_n_.take(token, 1)) {
    answer(ctx, req, resp, 403, "ExpiredProviderToken");
    return Disposition::kNow;
  }
  // Auth first: a missing/invalid provider token is what Apple reports over
  // header problems, and what clients must react to.
  ApnsVerdict v = check_provider_token(ctx, req.headers.get("authorization"));
  if (v.passed()) v = apns_check_headers(req.headers);
  if (v.passed()) v = apns_check_payload(req, ctx.json);
  if (!v.passed()) {
    answer(ctx, req, resp, v.status, v.reason);
    return Disposition::kNow;
  }
  if (!topic_known(req.headers.get("apns-topic"))) {
    bump(stats_.apns.wrong_topic);
    answer(ctx, req, resp, 400, "DeviceTokenNotForTopic");
    return Disposition::kNow;
  }
  switch (script.kind) {
    case ApnsScript::kUnregistered: answer(ctx, req, resp, 410, "Unregistered"); return Disposition::kNow;
    case ApnsScript::kBadDeviceToken: answer(ctx, req, resp, 400, "BadDeviceToken"); return Disposition::kNow;
    case ApnsScript::kNotForTopic:
      answer(ctx, req, resp, 400, "DeviceTokenNotForTopic");
      return Disposition::kNow;
    case ApnsScript::kInternalError:
      answer(ctx, req, resp, 500, "InternalServerError");
      return Disposition::kNow;
    case ApnsScript::kUnavailableFirstN:
      if (first_n_.take(token, script.n)) {
        answer(ctx, req, resp, 503, "ServiceUnavailable");
        return Disposition::kNow;
      }
      break;
    case ApnsScript::kTooManyFirst:
      if (first_n_.take(token, 1)) {
        answer(ctx, req, resp, 429, "TooManyRequests");
        return Disposition::kNow;
      }
      break;
    default: break;
  }
  records_.record(Platform::kApns, token);
  answer(ctx, req, resp, 200, {});
  return script.kind == ApnsScript::kSlow ? Disposition::kDelay : Disposition::kNow;
}

bool ApnsService::topic_known(std::string_view topic) const {
  if (topics_.empty()) return true;
  for (const std::string& t : topics_)
    if (topic == t || (topic.size() > t.size() + 1 && topic.starts_with(t) && topic[t.size()] == '.')) return true;
  return false;
}

void ApnsService::handle_sink(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.apns.requests);
  std::string_view path = req.path;
  records_.record(Platform::kApns, path.starts_with(kDevicePrefix) ? path.substr(kDevicePrefix.size()) : path);
  answer(ctx, req, resp, 200, {});
}

void ApnsService::reset() {
  {
    std::lock_guard<std::mutex> g(mu_);
    verified_.clear();
    newest_jwt_.clear();
    faults_gen_ = ~uint64_t{0};  // reject_jwt=current picks its target afresh
  }
  first_n_.clear();
}

}  // namespace pushgw::sim
