#include "tz/posix_tz.h"

#include <algorithm>
#include <array>

#include "base/civil.h"

namespace pushgw::tz {

// A cursor over the TZ string; every read either consumes what it parsed and
// returns true, or returns false.
class PosixTzParser {
 public:
  explicit PosixTzParser(std::string_view s) : s_(s) {}

  std::optional<PosixTz> run() {
    PosixTz z;
    int32_t west = 0;
    if (!name() || !hms(24, west)) return std::nullopt;
    z.std_offset_ = -west;
    if (done()) return z;
    if (!name()) return std::nullopt;
    z.has_dst_ = true;
    z.dst_offset_ = z.std_offset_ + 3600;
    if (!done() && peek() != ',') {
      if (!hms(24, west)) return std::nullopt;
      z.dst_offset_ = -west;
    }
    if (done()) {
      // No rule given: POSIX leaves it to the implementation; tzcode uses
      // the US rule, and so do we.
      z.start_ = PosixTz::Change{PosixTz::Change::Kind::MonthWeekDay, 3, 2, 0, 7200};
      z.end_ = PosixTz::Change{PosixTz::Change::Kind::MonthWeekDay, 11, 1, 0, 7200};
      return z;
    }
    if (!take(',') || !change(z.start_) || !take(',') || !change(z.end_) || !done()) return std::nullopt;
    return z;
  }

 private:
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  static bool alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // "CET" (3+ letters) or "<+0530>" (3+ of letters, digits, '+', '-').
  bool name() {
    size_t n = 0;
    if (take('<')) {
      while (!done() && (alpha(peek()) || digit(peek()) || peek() == '+' || peek() == '-')) ++i_, ++n;
      return n >= 3 && take('>');
    }
    while (!done() && alpha(peek())) ++i_, ++n;
    return n >= 3;
  }

  bool number(int max, int& out) {
    int v = 0, n = 0;
    while (!done() && digit(peek()) && n < 4) {
      v = v * 10 + (s_[i_++] - '0');
      ++n;
    }
    if (n == 0 || v > max) return false;
    out = v;
    return true;
  }

  // [+-]hh[:mm[:ss]] in seconds.
  bool hms(int max_hours, int32_t& out) {
    int sign = 1;
    if (take('-')) sign = -1;
    else (void)take('+');
    int h = 0, m = 0, sec = 0;
    if (!number(max_hours, h)) return false;
    if (take(':') && (!number(59, m) || (take(':') && !number(59, sec)))) return false;
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }

  bool change(PosixTz::Change& c) {
    using Kind = PosixTz::Change::Kind;
    if (take('M')) {
      c.kind = Kind::MonthWeekDay;
      if (!number(12, c.month) || c.month < 1 || !take('.') || !number(5, c.week) || c.week < 1 || !take('.') ||
          !number(6, c.day))
        return false;
    } else if (take('J')) {
      c.kind = Kind::JulianNoLeap;
      if (!number(365, c.day) || c.day < 1) return false;
    } else {
      c.kind = Kind::JulianZero;
      if (!number(365, c.day)) return false;
    }
    c.time_s = 7200;
    if (take('/') && !hms(167, c.time_s)) return false;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<PosixTz> PosixTz::parse(std::string_view s) { return PosixTzParser(s).run(); }

PosixTz PosixTz::fixed(int32_t offset_s) {
  PosixTz z;
  z.std_offset_ = offset_s;
  return z;
}

int64_t PosixTz::Change::instant(int64_t year, int32_t offset_s) const {
  const int64_t jan1 = base::days_from_civil(year, 1, 1);
  int64_t day = 0;
  switch (kind) {
    case Kind::JulianNoLeap:  // 1..365, February 29 is never counted
      day = jan1 + this->day - 1 + (base::is_leap_year(year) && this->day >= 60 ? 1 : 0);
      break;
    case Kind::JulianZero:
      day = jan1 + this->day;
      break;
    case Kind::MonthWeekDay: {
      const auto m = static_cast<unsigned>(month);
      const int64_t first = base::days_from_civil(year, m, 1);
      const int64_t next_month = m == 12 ? base::days_from_civil(year + 1, 1, 1) : base::days_from_civil(year, m + 1, 1);
      day = first + (this->day - static_cast<int>(base::weekday_from_days(first)) + 7) % 7 + 7 * (week - 1);
      while (day >= next_month) day -= 7;  // week 5 = the last such day of the month
      break;
    }
  }
  return day * 86400 + time_s - offset_s;
}

OffsetSpan PosixTz::span_at(int64_t t) const {
  if (!has_dst_) return OffsetSpan{std_offset_, kMinTime, kMaxTime};
  // The changes of the years around t, in time order; t lies after the first
  // of them (the previous year always has one before t).
  struct Edge {
    int64_t at;
    int32_t offset_after;
    bool to_dst;
  };
  std::array<Edge, 6> edges{};
  const int64_t year = base::civil_from_days(base::floor_div(t, 86400)).year;
  size_t n = 0;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    edges[n++] = Edge{start_.instant(y, std_offset_), dst_offset_, true};
    edges[n++] = Edge{end_.instant(y, dst_offset_), std_offset_, false};
  }
  // On a tie (the "daylight time all year" rules tzdata writes as
  // "0/0,J365/25") the start of daylight time wins: it is sorted last.
  std::sort(edges.begin(), edges.end(),
            [](const Edge& a, const Edge& b) { return a.at != b.at ? a.at < b.at : !a.to_dst && b.to_dst; });
  OffsetSpan span{edges[0].to_dst ? std_offset_ : dst_offset_, kMinTime, edges[0].at};
  for (const Edge& e : edges) {
    if (e.at > t) {
      span.until_s = e.at;
      return span;
    }
    span = OffsetSpan{e.offset_after, e.at, kMaxTime};
  }
  return span;
}

}  // namespace pushgw::tz
