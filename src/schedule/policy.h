// Campaign policy's time rules for requests: [policy] quiet_hours and
// default_tz, as ingest::parse_send() applies them, with the time zones they
// resolve (loaded from /usr/share/zoneinfo once, then cached).
//
// Threading: the main loop thread; apply() at start and on SIGHUP (requests
// parsed from then on see the new rules).
#pragma once
#include <optional>

#include "ingest/send.h"
#include "obs/log.h"
#include "pushgw/result.h"
#include "settings/settings.h"
#include "tz/quiet_window.h"
#include "tz/zone_cache.h"

namespace pushgw::schedule {

class Policy {
 public:
  // quiet_hours must be "HH:MM-HH:MM" and default_tz a zone this machine has
  // (tzdata). Error "bad_policy".
  static Result<void> check(const settings::PolicyConfig& p);

  explicit Policy(obs::Logger log) : log_(std::move(log)) {}
  Policy(const Policy&) = delete;  // rules() points into this object
  Policy& operator=(const Policy&) = delete;

  void apply(const settings::PolicyConfig& p);
  const ingest::SchedulePolicy& rules() const { return rules_; }

 private:
  obs::Logger log_;
  tz::ZoneCache zones_;
  std::optional<tz::QuietWindow> quiet_;
  ingest::SchedulePolicy rules_;
};

}  // namespace pushgw::schedule
