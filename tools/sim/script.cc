#include "script.h"

#include "base/ascii.h"

namespace pushgw::sim {

ApnsScriptMatch apns_script_for(std::string_view t) {
  if (base::istarts_with(t, "410")) return {ApnsScript::kUnregistered};
  if (base::istarts_with(t, "4000")) return {ApnsScript::kBadDeviceToken};
  if (base::istarts_with(t, "4001")) return {ApnsScript::kNotForTopic};
  if (base::istarts_with(t, "4291")) return {ApnsScript::kTooManyFirst};
  if (base::istarts_with(t, "5000")) return {ApnsScript::kInternalError};
  if (base::istarts_with(t, "503") && t.size() > 3 && t[3] >= '1' && t[3] <= '9')
    return {ApnsScript::kUnavailableFirstN, static_cast<uint32_t>(t[3] - '0')};
  if (base::istarts_with(t, "de1a")) return {ApnsScript::kSlow};
  if (base::istarts_with(t, "e0e0")) return {ApnsScript::kExpiredProviderFirst};
  return {};
}

FcmScript fcm_script_for(std::string_view t) {
  struct P {
    std::string_view prefix;
    FcmScript kind;
  };
  static constexpr P kPrefixes[] = {
      {"unregistered-", FcmScript::kUnregistered}, {"invalid-", FcmScript::kInvalid},
      {"badpayload-", FcmScript::kBadPayload},     {"mismatch-", FcmScript::kMismatch},
      {"quota-", FcmScript::kQuotaFirst},          {"unavailable-", FcmScript::kUnavailableFirst},
      {"internal-", FcmScript::kInternalFirst},    {"thirdparty-", FcmScript::kThirdParty},
      {"slow-", FcmScript::kSlow},
  };
  for (const auto& p : kPrefixes)
    if (t.starts_with(p.prefix)) return p.kind;
  return FcmScript::kNone;
}

WebPushScript webpush_script_for(std::string_view id) {
  if (id.starts_with("gone-")) return WebPushScript::kGone;
  if (id.starts_with("notfound-")) return WebPushScript::kNotFound;
  if (id.starts_with("toolarge-")) return WebPushScript::kTooLarge;
  if (id.starts_with("ratelimit-")) return WebPushScript::kRateLimitFirst;
  if (id.starts_with("unavail-")) return WebPushScript::kUnavailableFirst;
  if (id.starts_with("slow-")) return WebPushScript::kSlow;
  return WebPushScript::kNone;
}

bool FirstN::take(std::string_view key, uint32_t n) {
  std::lock_guard<std::mutex> g(mu_);
  auto [it, inserted] = seen_.try_emplace(std::string(key), 0);
  (void)inserted;
  return it->second++ < n;
}

void FirstN::clear() {
  std::lock_guard<std::mutex> g(mu_);
  seen_.clear();
}

}  // namespace pushgw::sim
