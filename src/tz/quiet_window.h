// A daily local-time window ("22:00-08:00", may wrap past midnight) and the
// question campaign policy asks of it per recipient: is this instant inside
// the window in the recipient's zone, and if so, when does the window end?
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "tz/zone.h"

namespace pushgw::tz {

class QuietWindow {
 public:
  // "HH:MM-HH:MM", 24-hour clock, start != end. nullopt otherwise.
  static std::optional<QuietWindow> parse(std::string_view s);

  // Minutes since local midnight, 0..1439.
  bool contains(int minute_of_day) const {
    return start_ < end_ ? minute_of_day >= start_ && minute_of_day < end_
                         : minute_of_day >= start_ || minute_of_day < end_;
  }
  // 0 when now_ms is outside the window in zone z; otherwise the first
  // instant (epoch ms, > now_ms) at which it is outside again: the end of the
  // window in local time, or the daylight-saving change that skips over that
  // local time. One memoized offset lookup when outside: cheap enough for
  // every recipient of a batch.
  int64_t release_at(const Zone& z, int64_t now_ms) const;

  int start_minute() const { return start_; }
  int end_minute() const { return end_; }

 private:
  QuietWindow(int start, int end) : start_(start), end_(end) {}
  int start_, end_;
};

}  // namespace pushgw::tz
