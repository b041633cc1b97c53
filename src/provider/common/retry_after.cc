#include "provider/common/retry_after.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/civil.h"

namespace pushgw::provider {
namespace {

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

int64_t parse_http_date(std::string_view v) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  v = trim(v);
  if (v.size() != 29 || v[3] != ',' || v.substr(26) != "GMT") return -1;
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t day, year, hh, mm, ss;
  if (!parse_int(v.substr(5, 2), day) || !parse_int(v.substr(12, 4), year) ||
      !parse_int(v.substr(17, 2), hh) || !parse_int(v.substr(20, 2), mm) ||
      !parse_int(v.substr(23, 2), ss))
    return -1;
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (v.substr(8, 3) == kMonths[i]) month = i + 1;
  if (month == 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return -1;
  int64_t days = base::days_from_civil(year, month, static_cast<unsigned>(day));
  return ((days * 24 + hh) * 60 + mm) * 60000 + ss * 1000;
}

int64_t parse_retry_after(std::string_view value, int64_t now_ms) {
  value = trim(value);
  if (value.empty()) return -1;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    // delay-seconds. Anything beyond a year is nonsense from the peer: cap
    // before scaling, also when there are more digits than int64_t holds.
    constexpr int64_t kMaxSecs = 366LL * 24 * 3600;
    int64_t secs = kMaxSecs;
    if (!parse_int(value, secs)) secs = kMaxSecs;
    return std::min(secs, kMaxSecs) * 1000;
  }
  int64_t at = parse_http_date(value);
  if (at < 0) return -1;
  return at > now_ms ? at - now_ms : 0;
}

}  // namespace pushgw::provider
