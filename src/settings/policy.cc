// [policy]: campaign policy, parsed and validated here; the gateway (quiet
// hours, default_tz: whether the zone exists is checked at start) and the
// senders (caps) apply it.
#include "settings/sections.h"

namespace pushgw::settings::detail {
namespace {

bool two_digits(std::string_view s, int max, int& out) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
  out = (s[0] - '0') * 10 + (s[1] - '0');
  return out <= max;
}

bool valid_clock_time(std::string_view s) {
  int h = 0;
  int m = 0;
  return s.size() == 5 && s[2] == ':' && two_digits(s.substr(0, 2), 23, h) && two_digits(s.substr(3, 2), 59, m);
}

// "22:00-07:30"; a window may wrap past midnight, but must not be empty.
bool valid_quiet_hours(std::string_view s) {
  return s.size() == 11 && s[5] == '-' && valid_clock_time(s.substr(0, 5)) && valid_clock_time(s.substr(6, 5)) &&
         s.substr(0, 5) != s.substr(6, 5);
}

// IANA zone names: "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5".
// Whether the zone exists is checked where zones are used.
bool plausible_tz(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '/' || s.find("..") != std::string_view::npos) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
                    c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void parse_policy(config::Section& r, PolicyConfig& p) {
  r.get_int("marketing_per_hour", p.marketing_per_hour, 0, 1'000'000);
  r.get_int("marketing_per_day", p.marketing_per_day, 0, 1'000'000);
  if (r.get("quiet_hours", p.quiet_hours) && !p.quiet_hours.empty() && !valid_quiet_hours(p.quiet_hours)) {
    r.error("quiet_hours", "must be \"HH:MM-HH:MM\" (24-hour clock, e.g. \"22:00-08:00\") or \"\"");
  }
  if (r.get("default_tz", p.default_tz) && !plausible_tz(p.default_tz)) {
    r.error("default_tz", "must be an IANA time zone name such as \"UTC\" or \"Europe/Berlin\"");
  }
  r.get("allow_cap_override", p.allow_cap_override);
}

}  // namespace pushgw::settings::detail
