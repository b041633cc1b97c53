// [[apns]], [[fcm]], [[webpush]]: one entry per app, each with its own
// credentials. App names are unique within a platform.
#include <unordered_map>

#include "config/credentials.h"
#include "config/sections.h"

namespace pushgw::config::detail {
namespace {

// App names show up in requests, metrics labels and feedback events.
bool valid_app_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Values that end up in HTTP headers or JWT claims: no spaces, no controls.
bool printable_token(std::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool apple_id(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

void read_app_name(TableReader& r, std::string& app) {
  if (r.require("app", app) && !valid_app_name(app)) {
    r.error("app", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
}

void read_connections(TableReader& r, int& connections) { r.get_int("connections", connections, 1, 256); }

void read_endpoint(TableReader& r, std::string& endpoint) {
  if (!r.get("endpoint", endpoint) || endpoint.empty()) return;
  if (auto origin = parse_https_origin(endpoint); !origin.ok()) {
    r.error("endpoint", origin.error().message);
    return;
  }
  if (endpoint.back() == '/') endpoint.pop_back();
}

void read_apple_id(TableReader& r, std::string_view key, std::string& out) {
  if (!r.require(key, out)) return;
  if (out.size() != 10) {
    r.error(key, "must be 10 characters");
  } else if (!apple_id(out)) {
    r.error(key, "must be 10 uppercase letters or digits");
  }
}

// Parses every element of one platform's array of tables, then rejects
// duplicate app names (reported at the later definition).
template <class App, class Fn>
void parse_app_array(const toml::node& node, std::string_view name, LoadContext& ctx, std::vector<App>& out,
                     Fn&& parse_one) {
  const toml::array* arr = node.as_array();
  if (!arr) {
    ctx.diag.error(line_of(node, 0), name,
                   "expected an array of tables ([[" + std::string(name) + "]]), got " + std::string(type_name(node)));
    return;
  }
  std::unordered_map<std::string, int> first_line;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    const std::string path = std::string(name) + "[" + std::to_string(i) + "]";
    const toml::table* t = el.as_table();
    if (!t) {
      ctx.diag.error(line_of(el, line_of(node, 0)), path, "expected a table, got " + std::string(type_name(el)));
      continue;
    }
    TableReader r(*t, path, line_of(*t, line_of(node, 0)), ctx.diag);
    App app;
    app.line = r.line();
    parse_one(r, app);
    r.reject_unknown_keys();
    if (app.app.empty()) continue;
    auto [it, inserted] = first_line.emplace(app.app, r.line_of("app"));
    if (!inserted) {
      r.error("app", "duplicate app \"" + app.app + "\" (first defined at line " + std::to_string(it->second) + ")");
    }
    out.push_back(std::move(app));
  }
}

void parse_one_apns(TableReader& r, const LoadContext& ctx, ApnsApp& a) {
  read_app_name(r, a.app);
  read_apple_id(r, "team_id", a.team_id);
  read_apple_id(r, "key_id", a.key_id);
  if (r.get("topic", a.topic) && !printable_token(a.topic)) {
    r.error("topic", "must be a bundle id such as \"com.example.app\" (no spaces or control characters)");
  }
  if (r.get("environment", a.environment) && a.environment != "production" && a.environment != "sandbox") {
    r.error("environment", "must be \"production\" or \"sandbox\"");
  }
  read_endpoint(r, a.endpoint);
  read_connections(r, a.connections);
  if (!r.require("key_file", a.key_file)) return;
  a.key_file = resolve_path(ctx.base_dir, a.key_file);
  if (!ctx.read_credentials) return;
  if (auto pem = load_pem_credential(r, "key_file", a.key_file)) a.key_pem = std::move(*pem);
}

void read_service_account(TableReader& r, const LoadContext& ctx, FcmApp& f) {
  if (!r.require("service_account", f.service_account)) return;
  f.service_account = resolve_path(ctx.base_dir, f.service_account);
  if (!ctx.read_credentials) return;
  auto json = load_credential(r, "service_account", f.service_account);
  if (!json) return;
  auto sa = parse_service_account(*json);
  wipe(*json);
  if (!sa.ok()) {
    r.error("service_account", f.service_account + ": " + sa.error().message);
    return;
  }
  f.project_id = std::move(sa->project_id);
  f.client_email = std::move(sa->client_email);
  f.private_key_pem = std::move(sa->private_key);
  f.token_uri = std::move(sa->token_uri);
}

void parse_one_fcm(TableReader& r, const LoadContext& ctx, FcmApp& f) {
  read_app_name(r, f.app);
  read_endpoint(r, f.endpoint);
  read_connections(r, f.connections);
  read_service_account(r, ctx, f);
}

bool valid_vapid_subject(std::string_view s) {
  if (s.size() > 512 || !printable_token(s)) return false;
  if (s.rfind("mailto:", 0) == 0) return s.size() > 7 && s.find('@') != std::string_view::npos;
  return s.rfind("https://", 0) == 0 && s.size() > 8;
}

void parse_one_webpush(TableReader& r, const LoadContext& ctx, WebPushApp& w) {
  read_app_name(r, w.app);
  if (r.require("vapid_subject", w.vapid_subject) && !valid_vapid_subject(w.vapid_subject)) {
    r.error("vapid_subject", "must be a \"mailto:\" address or an \"https:\" URL (RFC 8292)");
  }
  read_connections(r, w.connections);
  r.get("allow_private_endpoints", w.allow_private_endpoints);
  if (!r.require("vapid_key_file", w.vapid_key_file)) return;
  w.vapid_key_file = resolve_path(ctx.base_dir, w.vapid_key_file);
  if (!ctx.read_credentials) return;
  if (auto pem = load_pem_credential(r, "vapid_key_file", w.vapid_key_file)) w.vapid_key_pem = std::move(*pem);
}

}  // namespace

void parse_apns(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg) {
  parse_app_array(node, name, ctx, cfg.apns, [&](TableReader& r, ApnsApp& a) { parse_one_apns(r, ctx, a); });
}

void parse_fcm(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg) {
  parse_app_array(node, name, ctx, cfg.fcm, [&](TableReader& r, FcmApp& f) { parse_one_fcm(r, ctx, f); });
}

void parse_webpush(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg) {
  parse_app_array(node, name, ctx, cfg.webpush, [&](TableReader& r, WebPushApp& w) { parse_one_webpush(r, ctx, w); });
}

}  // namespace pushgw::config::detail
