#include "daemon/apps.h"

#include <unordered_map>

#include "base/authority.h"
#include "crypto/apns_token.h"
#include "crypto/keys.h"
#include "provider/apns/apns_provider.h"
#include "provider/fcm/fcm_provider.h"
#include "provider/webpush/webpush_provider.h"

namespace pushgw::daemon {

const ingest::AppInfo* AppDirectoryImpl::find(Platform p, std::string_view app) const {
  for (const auto& i : infos_)
    if (i.platform == p && i.name == app) return &i;
  return nullptr;
}

void AppDirectoryImpl::add(ingest::AppInfo info) { infos_.push_back(std::move(info)); }

Result<std::string> authority_from_url(std::string_view url) {
  base::HttpsUrl u;
  if (base::UrlError e = base::parse_https_url(url, u); e != base::UrlError::None)
    return make_error("bad_config", "endpoint " + std::string(base::describe(e)));
  std::string out;
  base::append_authority(out, u.authority, /*always_port=*/true);
  return out;
}

namespace {

void add_directory_entry(Apps& apps, uint16_t id, Platform p, const std::string& name, bool allow_private);

template <class App>
dispatch::AppRuntime make_runtime(uint16_t id, Platform p, const App& a, std::string fingerprint) {
  dispatch::AppRuntime rt;
  rt.app_id = id;
  rt.platform = p;
  rt.name = a.app;
  rt.connections = a.connections;
  rt.fingerprint = std::move(fingerprint);
  return rt;
}

// The app's endpoint override as "host:port", or fallback when it has none.
Result<std::string> endpoint_authority(std::string_view kind, const std::string& app, const std::string& endpoint,
                                       std::string fallback) {
  if (endpoint.empty()) return fallback;
  auto au = authority_from_url(endpoint);
  if (!au.ok()) return make_error("bad_config", std::string(kind) + " app '" + app + "': endpoint: " + au.error().message);
  return au;
}

// Apps signing with the same (team, key) share one token source: Apple counts
// a key's refreshes together, so two sources would sign twice as often, and a
// rejection must lead to one re-sign for all of them.
using ApnsSigners = std::unordered_map<std::string, std::shared_ptr<crypto::ApnsTokenSource>>;

Result<void> add_apns(const settings::ApnsApp& a, uint16_t id, Apps& apps, ApnsSigners& signers) {
  auto key = crypto::load_private_key_pem(a.key_pem);
  if (!key.ok())
    return make_error("bad_config", "apns app '" + a.app + "': key_file " + a.key_file + ": " + key.error().message);
  // ES256 needs a P-256 key; an RSA key would load and then fail every send.
  if (!crypto::is_p256(key.value().get()))
    return make_error("bad_config", "apns app '" + a.app + "': key_file " + a.key_file +
                                        ": not an EC P-256 key (use Apple's .p8 signing key)");
  auto au = endpoint_authority("apns", a.app, a.endpoint, std::string(provider::apns_default_authority(a.environment)));
  if (!au.ok()) return au.error();
  const std::string& authority = au.value();
  // Fingerprints and signer keys carry a digest of the key, never the key:
  // they live on in long-lived tables and are compared on reload.
  const std::string key_digest = crypto::sha256_hex(a.key_pem);
  auto& tokens = signers[a.team_id + "|" + a.key_id + "|" + key_digest];
  if (!tokens) tokens = std::make_shared<crypto::ApnsTokenSource>(std::move(key.value()), a.team_id, a.key_id);
  dispatch::AppRuntime rt = make_runtime(id, Platform::Apns, a,
                                         a.team_id + "|" + a.key_id + "|" + key_digest + "|" + a.topic + "|" + authority);
  provider::ApnsSettings settings{authority, a.topic, tokens};
  rt.make_provider = [settings] { return std::make_unique<provider::ApnsProvider>(settings); };
  apps.table->push_back(std::move(rt));
  add_directory_entry(apps, id, Platform::Apns, a.app, false);
  return ok();
}

void add_directory_entry(Apps& apps, uint16_t id, Platform p, const std::string& name, bool allow_private) {
  ingest::AppInfo info;
  info.app_id = id;
  info.platform = p;
  info.name = name;
  info.allow_private_endpoints = allow_private;
  apps.directory.add(std::move(info));
}

Result<void> add_fcm(const settings::FcmApp& a, uint16_t id, Apps& apps) {
  auto key = crypto::load_private_key_pem(a.private_key_pem);
  if (!key.ok() || !crypto::is_rsa(key.value().get()))
    return make_error("bad_config", "fcm app '" + a.app + "': service_account: private_key is not an RSA key");
  auto au = endpoint_authority("fcm", a.app, a.endpoint, std::string(provider::kFcmDefaultAuthority));
  if (!au.ok()) return au.error();
  const std::string& authority = au.value();
  auto tokens = std::make_shared<provider::FcmTokenSource>();
  FcmCredential cred{a.app, a.client_email, a.token_uri,
                     std::make_shared<crypto::EvpPkeyPtr>(std::move(key.value())), tokens};
  apps.fcm_credentials.push_back(std::move(cred));
  dispatch::AppRuntime rt = make_runtime(
      id, Platform::Fcm, a,
      a.project_id + "|" + a.client_email + "|" + crypto::sha256_hex(a.private_key_pem) + "|" + a.token_uri + "|" + authority);
  provider::FcmSettings settings{authority, a.project_id, tokens};
  rt.make_provider = [settings] { return std::make_unique<provider::FcmProvider>(settings); };
  apps.table->push_back(std::move(rt));
  add_directory_entry(apps, id, Platform::Fcm, a.app, false);
  return ok();
}

Result<void> add_webpush(const settings::WebPushApp& a, uint16_t id, Apps& apps) {
  provider::WebPushSettings settings{a.vapid_key_pem, a.vapid_subject};
  // Validate once here so a bad key is a start-up error, not a per-thread one.
  auto probe = provider::WebPushProvider::create(settings);
  if (!probe.ok())
    return make_error("bad_config", "webpush app '" + a.app + "': " + probe.error().message);
  dispatch::AppRuntime rt = make_runtime(id, Platform::WebPush, a,
                                         crypto::sha256_hex(a.vapid_key_pem) + "|" + a.vapid_subject + "|" +
                                             (a.allow_private_endpoints ? "1" : "0"));
  rt.allow_http1 = true;  // some push services speak only HTTP/1.1
  rt.allow_private_endpoints = a.allow_private_endpoints;
  rt.make_provider = [settings]() -> std::unique_ptr<Provider> {
    auto p = provider::WebPushProvider::create(settings);
    return p.ok() ? std::move(p.value()) : nullptr;
  };
  apps.table->push_back(std::move(rt));
  apps.directory.add(ingest::AppInfo{id, Platform::WebPush, a.app, a.allow_private_endpoints, a.endpoint_ports});
  return ok();
}

}  // namespace

namespace {

// An id of `current` whose runtime is exactly rt's (platform, name,
// fingerprint) and that this merge has not given out yet; the live one first.
// Reusing it is safe even if it was removed earlier: senders hold the same
// provider and pools for it that rt would get.
int same_runtime(const Apps& current, const dispatch::AppRuntime& rt, const std::vector<bool>& taken) {
  const ingest::AppInfo* live = current.directory.find(rt.platform, rt.name);
  int found = -1;
  for (const auto& old : *current.table) {
    if (taken[old.app_id] || old.platform != rt.platform || old.name != rt.name || old.fingerprint != rt.fingerprint)
      continue;
    if (live != nullptr && live->app_id == old.app_id) return old.app_id;
    if (found < 0) found = old.app_id;
  }
  return found;
}

}  // namespace

Result<std::unique_ptr<Apps>> merge_apps(const Apps& current, Apps&& fresh, std::vector<std::string>& changes) {
  auto out = std::make_unique<Apps>();
  *out->table = *current.table;  // every old id stays valid
  std::vector<bool> kept(current.table->size(), false);
  const size_t max_ids = max_app_ids(fresh.table->size());
  for (dispatch::AppRuntime& rt : *fresh.table) {
    const uint16_t fresh_id = rt.app_id;
    const int same = same_runtime(current, rt, kept);
    const ingest::AppInfo* live = current.directory.find(rt.platform, rt.name);
    uint16_t id;
    if (same >= 0 && live != nullptr && live->app_id == same) {
      id = static_cast<uint16_t>(same);
      kept[id] = true;
    } else if (same >= 0) {  // back to a configuration this app had before
      id = static_cast<uint16_t>(same);
      kept[id] = true;
      changes.push_back(std::string(live ? "changed " : "added ") + std::string(to_string(rt.platform)) + " app '" +
                        rt.name + "' (as before, id " + std::to_string(id) + ")");
    } else {
      if (out->table->size() >= max_ids)
        return make_error("bad_config", "reload: the app table holds " + std::to_string(out->table->size()) +
                                            " app versions (removed and changed apps keep theirs until restart); "
                                            "restart pushgwd to start afresh");
      id = static_cast<uint16_t>(out->table->size());
      const bool existed = current.directory.find(rt.platform, rt.name) != nullptr;
      changes.push_back(std::string(existed ? "changed " : "added ") + std::string(to_string(rt.platform)) + " app '" +
                        rt.name + "'");
      rt.app_id = id;
      kept.push_back(true);
      out->table->push_back(rt);
      for (auto& cred : fresh.fcm_credentials)
        if (rt.platform == Platform::Fcm && cred.app == rt.name) out->fcm_credentials.push_back(cred);
    }
    const ingest::AppInfo* info = nullptr;
    for (Platform p : {Platform::Apns, Platform::Fcm, Platform::WebPush})
      if (p == rt.platform) info = fresh.directory.find(p, rt.name);
    ingest::AppInfo copy = info ? *info : ingest::AppInfo{};
    copy.app_id = id;
    (void)fresh_id;
    out->directory.add(std::move(copy));
  }
  for (const auto& old : *current.table)
    if (!kept[old.app_id] && current.directory.find(old.platform, old.name) &&
        current.directory.find(old.platform, old.name)->app_id == old.app_id &&
        !out->directory.find(old.platform, old.name))
      changes.push_back("removed " + std::string(to_string(old.platform)) + " app '" + old.name + "'");
  return out;
}

Result<std::unique_ptr<Apps>> build_apps(const settings::Settings& cfg) {
  auto apps = std::make_unique<Apps>();
  uint16_t id = 0;
  ApnsSigners signers;
  for (const auto& a : cfg.apns) {
    auto r = add_apns(a, id++, *apps, signers);
    if (!r.ok()) return r.error();
  }
  for (const auto& a : cfg.fcm) {
    auto r = add_fcm(a, id++, *apps);
    if (!r.ok()) return r.error();
  }
  for (const auto& a : cfg.webpush) {
    auto r = add_webpush(a, id++, *apps);
    if (!r.ok()) return r.error();
  }
  return apps;
}

}  // namespace pushgw::daemon
