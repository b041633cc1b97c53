#include "fcm.h"

#include <algorithm>
#include <cstring>

#include "base/ascii.h"
#include "base/base64url.h"
#include "crypto/jwt.h"
#include "json_out.h"

namespace pushgw::sim {

namespace {

constexpr std::string_view kProjectsPrefix = "/v1/projects/";
constexpr std::string_view kSendSuffix = "/messages:send";
constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kBadTimes =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
    "iat and exp values in the JWT claim.";
constexpr std::string_view kUnauthenticated =
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

bool has_scope(std::string_view scopes, std::string_view want) {
  while (!scopes.empty()) {
    auto sp = scopes.find(' ');
    if (scopes.substr(0, sp) == want) return true;
    scopes = sp == std::string_view::npos ? std::string_view() : scopes.substr(sp + 1);
  }
  return false;
}

// "/v1/projects/<p>/messages:send" → p; empty if the path is anything else.
std::string_view project_of(std::string_view path) {
  if (!path.starts_with(kProjectsPrefix) || !path.ends_with(kSendSuffix)) return {};
  std::string_view p = path.substr(kProjectsPrefix.size(), path.size() - kProjectsPrefix.size() - kSendSuffix.size());
  return p.find('/') == std::string_view::npos ? p : std::string_view();
}

void json_headers(SimResponse& resp) { resp.headers.add("content-type", "application/json; charset=UTF-8"); }

void oauth_error(SimResponse& resp, std::string_view error, std::string_view description) {
  resp.status = 400;
  json_headers(resp);
  resp.body = "{\"error\":";
  json_append_string(resp.body, error);
  resp.body += ",\"error_description\":";
  json_append_string(resp.body, description);
  resp.body += '}';
}

}  // namespace

std::string fcm_error_json(int code, std::string_view status, std::string_view message,
                           std::string_view error_code, std::string_view field) {
  std::string j = "{\"error\":{\"code\":";
  json_append_int(j, code);
  j += ",\"message\":";
  json_append_string(j, message);
  j += ",\"status\":";
  json_append_string(j, status);
  if (!error_code.empty() || !field.empty()) {
    j += ",\"details\":[";
    if (!error_code.empty()) {
      j += "{\"@type\":\"type.googleapis.com/google.firebase.fcm.v1.FcmError\",\"errorCode\":";
      json_append_string(j, error_code);
      j += '}';
    }
    if (!field.empty()) {
      if (!error_code.empty()) j += ',';
      j += "{\"@type\":\"type.googleapis.com/google.rpc.BadRequest\",\"fieldViolations\":[{\"field\":";
      json_append_string(j, field);
      j += ",\"description\":";
      json_append_string(j, message);
      j += "}]}";
    }
    j += ']';
  }
  j += "}}";
  return j;
}

std::string form_value(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view kv = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || kv.substr(0, eq) != name) continue;
    std::string out;
    std::string_view v = kv.substr(eq + 1);
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '+') {
        out += ' ';
      } else if (v[i] == '%' && i + 2 < v.size() && base::hex_digit_value(v[i + 1]) >= 0 && base::hex_digit_value(v[i + 2]) >= 0) {
        out += static_cast<char>(base::hex_digit_value(v[i + 1]) * 16 + base::hex_digit_value(v[i + 2]));
        i += 2;
      } else {
        out += v[i];
      }
    }
    return out;
  }
  return {};
}

void FcmService::set_origin(std::string origin) {
  origin_ = std::move(origin);
  origin_localhost_ = origin_;
  if (auto at = origin_localhost_.find("127.0.0.1"); at != std::string::npos)
    origin_localhost_.replace(at, 9, "localhost");
}

Result<void> FcmService::add_service_account(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view project, email, token_uri, pem;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || doc["project_id"].get(project) ||
      doc["client_email"].get(email) || doc["token_uri"].get(token_uri) || doc["private_key"].get(pem))
    return make_error("bad_service_account",
                      "service account JSON needs project_id, client_email, token_uri and private_key");
  auto key = crypto::load_private_key_pem(pem);
  if (!key || !crypto::is_rsa(key->get()))
    return make_error("bad_service_account", "service account private_key is not an RSA key");
  accounts_[std::string(email)] = Account{std::string(project), std::string(token_uri), std::move(key.value())};
  return ok();
}

std::string_view FcmService::check_assertion(HandlerCtx& ctx, std::string_view jwt, const Account** account,
                                             std::string& why) {
  auto parts = crypto::jwt_decode(jwt);
  if (!parts) {
    why = "Invalid JWT: malformed assertion.";
    return "invalid_grant";
  }
  simdjson::dom::element h;
  std::string_view alg;
  if (ctx.json.parse(parts->header_json).get(h) != simdjson::SUCCESS || h["alg"].get(alg) || alg != "RS256") {
    why = "Invalid JWT: the assertion must be signed with RS256.";
    return "invalid_grant";
  }
  simdjson::dom::element c;
  std::string_view iss, aud, scope;
  int64_t iat = 0, exp = 0;
  if (ctx.json.parse(parts->claims_json).get(c) != simdjson::SUCCESS || c["iss"].get(iss) || c["aud"].get(aud) ||
      c["iat"].get(iat) || c["exp"].get(exp)) {
    why = "Invalid JWT: iss, aud, iat and exp are required.";
    return "invalid_grant";
  }
  if (c["scope"].get(scope)) scope = {};
  auto it = accounts_.find(std::string(iss));
  if (it == accounts_.end()) {
    why = "Invalid grant: account not found";
    return "invalid_grant";
  }
  const Account& a = it->second;
  // Decided now: the views point into the parser, which the caller reuses.
  const bool aud_ok = aud == a.token_uri ||
                      (!origin_.empty() && (aud == origin_ + "/token" || aud == origin_localhost_ + "/token"));
  const bool scope_ok = has_scope(scope, kFcmScope) || has_scope(scope, kCloudPlatformScope);
  if (!crypto::jwt_verify(jwt, a.key.get())) {
    why = "Invalid JWT Signature.";
    return "invalid_grant";
  }
  if (!aud_ok) {
    why = "Invalid JWT: Failed audience check. The right audience is " + a.token_uri;
    return "invalid_grant";
  }
  const int64_t now = ctx.clock.now_s();
  if (exp <= iat || exp - iat > 3600 || exp <= now || iat > now + 60) {
    why = kBadTimes;
    return "invalid_grant";
  }
  if (!scope_ok) {
    why = "Invalid OAuth scope or ID token audience provided.";
    return "invalid_scope";
  }
  *account = &a;
  return {};
}

void FcmService::issue_token(HandlerCtx& ctx, std::string_view project_id, SimResponse& resp, bool remember) {
  char raw[24];
  for (size_t i = 0; i < sizeof raw; i += 8) {
    uint64_t r = ctx.rng.next();
    std::memcpy(raw + i, &r, 8);
  }
  std::string token = "ya29.sim-" + base::base64url_encode(std::string_view(raw, sizeof raw));
  if (remember) {
    std::lock_guard<std::mutex> g(mu_);
    const int64_t now = ctx.clock.now_ms();
    if (tokens_.size() >= purge_at_) {  // amortized: a purge at most every doubling
      std::erase_if(tokens_, [now](const auto& kv) { return kv.second.expires_ms <= now; });
      purge_at_ = std::max<size_t>(kPurgeMin, 2 * tokens_.size());
    }
    tokens_[token] = Issued{std::string(project_id), now + token_ttl_s_ * 1000};
  }
  bump(stats_.fcm.tokens_issued);
  resp.status = 200;
  json_headers(resp);
  resp.body = "{\"access_token\":";
  json_append_string(resp.body, token);
  resp.body += ",\"expires_in\":";
  json_append_int(resp.body, token_ttl_s_);
  resp.body += ",\"token_type\":\"Bearer\"}";
}

Disposition FcmService::handle_token(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.fcm.token_requests);
  if (req.method != "POST") {
    oauth_error(resp, "invalid_request", "POST required");
    resp.status = 405;
    return Disposition::kNow;
  }
  std::string grant = form_value(req.body, "grant_type");
  std::string assertion = form_value(req.body, "assertion");
  if (grant != kJwtBearer) {
    oauth_error(resp, "unsupported_grant_type", "Invalid grant_type: " + grant);
    return Disposition::kNow;
  }
  if (assertion.empty()) {
    oauth_error(resp, "invalid_request", "Missing required parameter: assertion");
    return Disposition::kNow;
  }
  const Account* account = nullptr;
  std::string why;
  std::string_view err = check_assertion(ctx, assertion, &account, why);
  if (!err.empty()) {
    oauth_error(resp, err, why);
    return Disposition::kNow;
  }
  issue_token(ctx, account->project_id, resp, true);
  return Disposition::kNow;
}

bool FcmService::token_live(HandlerCtx& ctx, std::string_view authorization, std::string_view project) {
  if (authorization.size() < 7 || (authorization.substr(0, 7) != "Bearer " && authorization.substr(0, 7) != "bearer "))
    return false;
  std::string token(authorization.substr(7));
  std::lock_guard<std::mutex> g(mu_);
  auto it = tokens_.find(token);
  return it != tokens_.end() && it->second.expires_ms > ctx.clock.now_ms() && it->second.project_id == project;
}

void FcmService::expire_tokens() {
  std::lock_guard<std::mutex> g(mu_);
  tokens_.clear();
}

void FcmService::send_error(SimResponse& resp, int code, std::string_view status, std::string_view message,
                            std::string_view error_code, std::string_view field) {
  resp.status = code;
  json_headers(resp);
  resp.body = fcm_error_json(code, status, message, error_code, field);
  if (code == 429 || code == 503) resp.headers.add("retry-after", "1");
}

void FcmService::send_ok(HandlerCtx&, std::string_view project, SimResponse& resp) {
  resp.status = 200;
  json_headers(resp);
  resp.body = "{\"name\":\"projects/";
  resp.body += project;
  resp.body += "/messages/0:";
  json_append_uint(resp.body, next_message_id_.fetch_add(1, std::memory_order_relaxed));
  resp.body += "\"}";
}

Disposition FcmService::handle_send(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.fcm.requests);
  std::string_view project = project_of(req.path);
  if (project.empty()) {
    send_error(resp, 404, "NOT_FOUND", "Requested entity was not found.", {});
    return Disposition::kNow;
  }
  if (req.method != "POST") {
    send_error(resp, 405, "METHOD_NOT_ALLOWED", "Method not allowed.", {});
    return Disposition::kNow;
  }
  if (!token_live(ctx, req.headers.get("authorization"), project)) {
    send_error(resp, 401, "UNAUTHENTICATED", kUnauthenticated, {});
    return Disposition::kNow;
  }
  simdjson::dom::element doc, msg_el;
  simdjson::dom::object msg;
  if (ctx.json.parse(req.body).get(doc) != simdjson::SUCCESS || doc["message"].get(msg_el) ||
      msg_el.get(msg)) {
    send_error(resp, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. 'message' must be an object.",
               "INVALID_ARGUMENT", "message");
    return Disposition::kNow;
  }
  if (simdjson::minify(msg_el).size() > kFcmMaxMessageBytes) {
    send_error(resp, 400, "INVALID_ARGUMENT", "Message is too big", "INVALID_ARGUMENT", "message");
    return Disposition::kNow;
  }
  std::string_view token, topic, condition;
  const bool has_token = !msg["token"].get(token), has_topic = !msg["topic"].get(topic),
             has_cond = !msg["condition"].get(condition);
  if (int(has_token) + int(has_topic) + int(has_cond) != 1) {
    send_error(resp, 400, "INVALID_ARGUMENT", "Exactly one of message.token, message.topic or message.condition must be set.",
               "INVALID_ARGUMENT", "message");
    return Disposition::kNow;
  }
  simdjson::dom::object data;
  if (!msg["data"].get(data)) {
    size_t i = 0;
    for (auto kv : data) {
      if (!kv.value.is_string()) {
        std::string field = "message.data[" + std::to_string(i) + "].value";
        send_error(resp, 400, "INVALID_ARGUMENT", "Invalid value at '" + field + "' (TYPE_STRING)", "INVALID_ARGUMENT",
                   field);
        return Disposition::kNow;
      }
      ++i;
    }
  }
  bool validate_only = false;
  if (doc["validate_only"].get(validate_only)) validate_only = false;

  std::string key;
  if (has_token) key.assign(token);
  else if (has_topic) key = "/topics/" + std::string(topic);
  else key = "condition:" + std::string(condition);

  const FcmScript script = has_token ? fcm_script_for(key) : FcmScript::kNone;
  switch (script) {
    case FcmScript::kUnregistered:
      send_error(resp, 404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED");
      return Disposition::kNow;
    case FcmScript::kInvalid:
      send_error(resp, 400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token",
                 "INVALID_ARGUMENT");
      return Disposition::kNow;
    case FcmScript::kBadPayload:
      send_error(resp, 400, "INVALID_ARGUMENT",
                 "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), \"forever\"",
                 "INVALID_ARGUMENT", "message.android.ttl");
      return Disposition::kNow;
    case FcmScript::kMismatch:
      send_error(resp, 403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH");
      return Disposition::kNow;
    case FcmScript::kThirdParty:
      send_error(resp, 401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR");
      return Disposition::kNow;
    case FcmScript::kQuotaFirst:
      if (first_n_.take(key, 1)) {
        send_error(resp, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'.",
                   "QUOTA_EXCEEDED");
        return Disposition::kNow;
      }
      break;
    case FcmScript::kUnavailableFirst:
      if (first_n_.take(key, 1)) {
        send_error(resp, 503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE");
        return Disposition::kNow;
      }
      break;
    case FcmScript::kInternalFirst:
      if (first_n_.take(key, 1)) {
        send_error(resp, 500, "INTERNAL", "Internal error encountered.", "INTERNAL");
        return Disposition::kNow;
      }
      break;
    default: break;
  }
  if (!validate_only) records_.record(Platform::kFcm, key);
  send_ok(ctx, project, resp);
  return script == FcmScript::kSlow ? Disposition::kDelay : Disposition::kNow;
}

void FcmService::handle_sink_token(HandlerCtx& ctx, const SimRequest&, SimResponse& resp) {
  bump(stats_.fcm.token_requests);
  issue_token(ctx, "", resp, false);  // nothing checks it in sink mode
}

void FcmService::handle_sink_send(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  bump(stats_.fcm.requests);
  // No JSON parse: a substring scan is enough to count recipients.
  std::string_view body = req.body, key = "?";
  constexpr std::string_view kNeedle = "\"token\":\"";
  if (auto at = body.find(kNeedle); at != std::string_view::npos) {
    std::string_view rest = body.substr(at + kNeedle.size());
    key = rest.substr(0, rest.find('"'));
  }
  records_.record(Platform::kFcm, key);
  std::string_view project = project_of(req.path);
  send_ok(ctx, project.empty() ? std::string_view("sink") : project, resp);
}

}  // namespace pushgw::sim
