#include "daemon/apps.h"

#include "crypto/apns_token.h"
#include "crypto/keys.h"
#include "provider/apns/apns_provider.h"

namespace pushgw::daemon {

const ingest::AppInfo* AppDirectoryImpl::find(Platform p, std::string_view app) const {
  for (const auto& i : infos_)
    if (i.platform == p && i.name == app) return &i;
  return nullptr;
}

void AppDirectoryImpl::add(ingest::AppInfo info) { infos_.push_back(std::move(info)); }

Result<std::string> authority_from_url(std::string_view url) {
  constexpr std::string_view kHttps = "https://";
  if (url.substr(0, kHttps.size()) != kHttps) return make_error("bad_config", "endpoint must start with https://");
  std::string_view rest = url.substr(kHttps.size());
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) rest = rest.substr(0, slash);
  if (rest.empty()) return make_error("bad_config", "endpoint has no host");
  std::string out(rest);
  bool has_port = false;
  if (out.front() == '[') has_port = out.find("]:") != std::string::npos;
  else has_port = out.find(':') != std::string::npos;
  if (!has_port) out += ":443";
  return out;
}

namespace {

Result<void> add_apns(const config::ApnsApp& a, uint16_t id, Apps& apps) {
  auto key = crypto::load_private_key_pem(a.key_pem);
  if (!key.ok()) return make_error("bad_config", "apns app '" + a.app + "': key_file: " + key.error().message);
  std::string authority;
  if (a.endpoint.empty()) {
    authority = provider::apns_default_authority(a.environment);
  } else {
    auto au = authority_from_url(a.endpoint);
    if (!au.ok()) return make_error("bad_config", "apns app '" + a.app + "': endpoint: " + au.error().message);
    authority = au.value();
  }
  auto tokens = std::make_shared<crypto::ApnsTokenSource>(std::move(key.value()), a.team_id, a.key_id);
  dispatch::AppRuntime rt;
  rt.app_id = id;
  rt.platform = Platform::Apns;
  rt.name = a.app;
  rt.connections = a.connections;
  provider::ApnsSettings settings{authority, a.topic, tokens};
  rt.make_provider = [settings] { return std::make_unique<provider::ApnsProvider>(settings); };
  apps.table.push_back(std::move(rt));
  ingest::AppInfo info;
  info.app_id = id;
  info.platform = Platform::Apns;
  info.name = a.app;
  apps.directory.add(std::move(info));
  return ok();
}

}  // namespace

Result<std::unique_ptr<Apps>> build_apps(const config::Config& cfg) {
  auto apps = std::make_unique<Apps>();
  uint16_t id = 0;
  for (const auto& a : cfg.apns) {
    auto r = add_apns(a, id++, *apps);
    if (!r.ok()) return r.error();
  }
  return apps;
}

}  // namespace pushgw::daemon
