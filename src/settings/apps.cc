// [[apns]], [[fcm]], [[webpush]]: one entry per app, each with its own
// credentials. App names are unique within a platform.
#include "config/credentials.h"
#include "config/origin.h"
#include "settings/sections.h"

namespace pushgw::settings::detail {
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

void read_app_name(config::Section& r, std::string& app) {
  if (r.require("app", app) && !valid_app_name(app)) {
    r.error("app", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
}

// Web Push endpoints are chosen by subscribers: 443 only, unless listed.
void read_endpoint_ports(config::Section& r, std::vector<uint16_t>& out) {
  std::vector<uint32_t> ports;
  if (!r.get_id_list("endpoint_ports", ports)) return;
  for (uint32_t p : ports) {
    if (p == 0 || p > 65535) {
      r.error("endpoint_ports", "ports must be 1..65535");
      return;
    }
    out.push_back(static_cast<uint16_t>(p));
  }
}

void read_connections(config::Section& r, int& connections) { r.get_int("connections", connections, 1, 256); }

void read_endpoint(config::Section& r, std::string& endpoint) {
  if (!r.get("endpoint", endpoint) || endpoint.empty()) return;
  if (auto origin = config::parse_https_origin(endpoint); !origin.ok()) {
    r.error("endpoint", origin.error().message);
    return;
  }
  if (endpoint.back() == '/') endpoint.pop_back();
}

void read_apple_id(config::Section& r, std::string_view key, std::string& out) {
  if (!r.require(key, out)) return;
  if (out.size() != 10) {
    r.error(key, "must be 10 characters");
  } else if (!apple_id(out)) {
    r.error(key, "must be 10 uppercase letters or digits");
  }
}

void read_service_account(config::Section& r, FcmApp& f) {
  if (!r.require("service_account", f.service_account)) return;
  f.service_account = r.resolve(f.service_account);
  if (!r.read_files()) return;
  auto json = config::load_credential(r, "service_account", f.service_account);
  if (!json) return;
  auto sa = config::parse_service_account(*json);
  config::wipe(*json);
  if (!sa.ok()) {
    r.error("service_account", f.service_account + ": " + sa.error().message);
    return;
  }
  f.project_id = std::move(sa->project_id);
  f.client_email = std::move(sa->client_email);
  f.private_key_pem = std::move(sa->private_key);
  f.token_uri = std::move(sa->token_uri);
}

bool valid_vapid_subject(std::string_view s) {
  if (s.size() > 512 || !printable_token(s)) return false;
  if (s.rfind("mailto:", 0) == 0) return s.size() > 7 && s.find('@') != std::string_view::npos;
  return s.rfind("https://", 0) == 0 && s.size() > 8;
}

}  // namespace

void parse_apns(config::Section& r, ApnsApp& a) {
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
  a.key_file = r.resolve(a.key_file);
  if (!r.read_files()) return;
  if (auto pem = config::load_pem_credential(r, "key_file", a.key_file)) a.key_pem = std::move(*pem);
}

void parse_fcm(config::Section& r, FcmApp& f) {
  read_app_name(r, f.app);
  read_endpoint(r, f.endpoint);
  read_connections(r, f.connections);
  read_service_account(r, f);
}

void parse_webpush(config::Section& r, WebPushApp& w) {
  read_app_name(r, w.app);
  if (r.require("vapid_subject", w.vapid_subject) && !valid_vapid_subject(w.vapid_subject)) {
    r.error("vapid_subject", "must be a \"mailto:\" address or an \"https:\" URL (RFC 8292)");
  }
  read_connections(r, w.connections);
  r.get("allow_private_endpoints", w.allow_private_endpoints);
  read_endpoint_ports(r, w.endpoint_ports);
  if (!r.require("vapid_key_file", w.vapid_key_file)) return;
  w.vapid_key_file = r.resolve(w.vapid_key_file);
  if (!r.read_files()) return;
  if (auto pem = config::load_pem_credential(r, "vapid_key_file", w.vapid_key_file)) w.vapid_key_pem = std::move(*pem);
}

}  // namespace pushgw::settings::detail
