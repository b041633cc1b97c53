#include "schedule/policy.h"

#include <string>

namespace pushgw::schedule {

Result<void> Policy::check(const settings::PolicyConfig& p) {
  if (!p.quiet_hours.empty() && !tz::QuietWindow::parse(p.quiet_hours))
    return make_error("bad_policy", "[policy] quiet_hours: must be \"HH:MM-HH:MM\"");
  tz::ZoneCache zones;
  if (!zones.load(p.default_tz).ok())
    return make_error("bad_policy", "[policy] default_tz: unknown time zone \"" + p.default_tz +
                                        "\" (no TZif file under " + std::string(tz::kZoneinfoDir) + ")");
  return ok();
}

void Policy::apply(const settings::PolicyConfig& p) {
  quiet_ = p.quiet_hours.empty() ? std::nullopt : tz::QuietWindow::parse(p.quiet_hours);
  rules_.quiet = quiet_ ? &*quiet_ : nullptr;
  rules_.default_zone = zones_.find(p.default_tz);
  if (rules_.default_zone == nullptr) {  // check() ran first; only if tzdata vanished since
    PGW_LOG(log_, Warn, "[policy] default_tz %s: unknown time zone, using UTC", p.default_tz.c_str());
    rules_.default_zone = zones_.find("UTC");
  }
  rules_.zones = &zones_;
}

}  // namespace pushgw::schedule
