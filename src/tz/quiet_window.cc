#include "tz/quiet_window.h"

#include "base/civil.h"

namespace pushgw::tz {
namespace {

// "HH:MM" -> minutes since midnight, or -1.
int clock_minutes(std::string_view s) {
  auto d = [&](size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
  if (s.size() != 5 || s[2] != ':') return -1;
  const int h = d(0) * 10 + d(1), m = d(3) * 10 + d(4);
  return h < 0 || h > 23 || m < 0 || m > 59 ? -1 : h * 60 + m;
}

}  // namespace

std::optional<QuietWindow> QuietWindow::parse(std::string_view s) {
  if (s.size() != 11 || s[5] != '-') return std::nullopt;
  const int start = clock_minutes(s.substr(0, 5)), end = clock_minutes(s.substr(6, 5));
  if (start < 0 || end < 0 || start == end) return std::nullopt;
  return QuietWindow(start, end);
}

int64_t QuietWindow::release_at(const Zone& z, int64_t now_ms) const {
  const int64_t now = base::floor_div(now_ms, 1000);
  const int32_t off = z.offset_at(now);
  const int64_t local = now + off;
  const int64_t second_of_day = base::floor_mod(local, 86400);
  if (!contains(static_cast<int>(second_of_day / 60))) return 0;
  int64_t end_local = local - second_of_day + int64_t{end_} * 60;
  if (end_local <= local) end_local += 86400;
  int64_t t = end_local - off;  // always after now
  const int32_t off_then = z.offset_at(t);
  if (off_then != off) {
    // The offset changes before the window ends (a daylight-saving change
    // at night): that local time is reached under the new offset, unless
    // the change skips over it, and then the change itself ends the window.
    const int64_t t2 = end_local - off_then;
    const OffsetSpan s = z.span_at(t2);
    const int64_t candidate = s.offset_s == off_then ? t2 : s.until_s;
    // A zone with several changes in one night (none in tzdata) could put
    // the candidate before now; the first guess is never wrong by more
    // than the change.
    // (Compared without subtracting: until_s is INT64_MAX after the last change.)
    if (candidate > now && candidate <= now + 2 * 86400) t = candidate;
  }
  return t * 1000;
}

}  // namespace pushgw::tz
