// The POSIX TZ string that ends a TZif v2+ file ("CET-1CEST,M3.5.0,M10.5.0/3",
// "<+0530>-5:30", "EST5EDT,M3.2.0,M11.1.0"): the rule for every instant after
// the file's last transition. RFC 8536 section 3.3 extensions are accepted
// (rule times from -167 to 167 hours).
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace pushgw::tz {

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

// A UTC offset and the instants (unix seconds) it holds for: [from, until).
struct OffsetSpan {
  int32_t offset_s = 0;  // seconds east of UTC (local = UTC + offset)
  int64_t from_s = kMinTime;
  int64_t until_s = kMaxTime;
  bool contains(int64_t t) const { return t >= from_s && t < until_s; }
};

class PosixTz {
 public:
  // nullopt when s is not a valid TZ string. An empty string is not one
  // (a TZif file with an empty footer has no rule: the caller handles it).
  static std::optional<PosixTz> parse(std::string_view s);

  static PosixTz fixed(int32_t offset_s);
  OffsetSpan span_at(int64_t t_s) const;
  bool has_dst() const { return has_dst_; }
  int32_t std_offset() const { return std_offset_; }

 private:
  // When in a year daylight time starts or ends: a day rule and the local
  // wall-clock time of the change (in the time in effect before it).
  struct Change {
    enum class Kind : uint8_t { JulianNoLeap, JulianZero, MonthWeekDay } kind = Kind::MonthWeekDay;
    int month = 0, week = 0, day = 0;  // MonthWeekDay: Mm.w.d; Julian*: day in `day`
    int32_t time_s = 7200;
    // The instant (unix seconds) of this change in `year`, for a local
    // clock `offset_s` east of UTC before the change.
    int64_t instant(int64_t year, int32_t offset_s) const;
  };
  friend class PosixTzParser;

  int32_t std_offset_ = 0;
  int32_t dst_offset_ = 0;
  bool has_dst_ = false;
  Change start_, end_;
};

}  // namespace pushgw::tz
