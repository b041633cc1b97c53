// Builds the runtime app table (providers, credential sources) and the
// ingest-side directory from a config snapshot.
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/keys.h"
#include "dispatch/app_table.h"
#include "ingest/send.h"
#include "pushgw/result.h"
#include "settings/settings.h"

namespace pushgw::daemon {

class AppDirectoryImpl final : public ingest::AppDirectory {
 public:
  const ingest::AppInfo* find(Platform p, std::string_view app) const override;
  void add(ingest::AppInfo info);

 private:
  std::vector<ingest::AppInfo> infos_;
};

}  // namespace pushgw::daemon
namespace pushgw::provider {
class FcmTokenSource;
}
namespace pushgw::daemon {

// What the OAuth refresher needs for one FCM app (see oauth_refresher.h).
struct FcmCredential {
  std::string app;
  std::string client_email;
  std::string token_uri;
  std::shared_ptr<crypto::EvpPkeyPtr> key;  // RSA key of the service account
  std::shared_ptr<provider::FcmTokenSource> source;
};

struct Apps {
  std::shared_ptr<dispatch::AppTable> table = std::make_shared<dispatch::AppTable>();
  AppDirectoryImpl directory;
  std::vector<FcmCredential> fcm_credentials;
};

// Errors name the app and the problem (bad key, bad endpoint), never key bytes.
Result<std::unique_ptr<Apps>> build_apps(const settings::Settings& cfg);

// Reload: keeps every app of `current` whose (platform, name, fingerprint) is
// unchanged under its old id, appends new or changed apps with new ids, and
// keeps removed apps in the table (in-flight jobs still reference their ids)
// but out of the directory. fcm_credentials lists only the new FCM apps.
// An app that comes back to a (platform, name, fingerprint) it had before gets
// that id back, so flapping configs do not grow the table; past
// max_app_ids(live apps) versions the reload is refused (bad_config).
Result<std::unique_ptr<Apps>> merge_apps(const Apps& current, Apps&& fresh, std::vector<std::string>& changes);
inline size_t max_app_ids(size_t live) { return std::min<size_t>(std::max<size_t>(1024, 4 * live), 65536); }

// "https://host:port" -> "host:port" (port defaults to 443).
Result<std::string> authority_from_url(std::string_view url);

}  // namespace pushgw::daemon
