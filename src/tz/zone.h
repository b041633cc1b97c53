// A time zone: the UTC offset in effect at any instant, from the zone's TZif
// file (RFC 8536) as tzdata installs it under /usr/share/zoneinfo.
//
// Threads: a Zone is immutable except for offset_at()'s one-entry memo, so
// share one only between callers on the same thread (the gateway's loop).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "pushgw/result.h"
#include "tz/posix_tz.h"

namespace pushgw::tz {

class Zone {
 public:
  // Parses TZif data: version 1 (32-bit data only) or 2+ (the 64-bit data
  // block and the footer TZ string, which covers instants after the last
  // transition). Untrusted bytes: every count and index is checked against
  // the data before use. Error code "tzif_invalid".
  static Result<Zone> parse_tzif(std::string_view data);
  // A zone without transitions (UTC when offset_s = 0).
  static Zone fixed(int32_t offset_s);

  // The offset at t (unix seconds) and the span of instants it holds for.
  OffsetSpan span_at(int64_t t_s) const;
  // span_at(t).offset_s, remembering the last span: instants close together
  // (a batch of recipients) cost one comparison.
  int32_t offset_at(int64_t t_s) const {
    if (!memo_.contains(t_s)) memo_ = span_at(t_s);
    return memo_.offset_s;
  }
  size_t transitions() const { return times_.size(); }

 private:
  std::vector<int64_t> times_;    // transition instants, strictly ascending
  std::vector<int32_t> offsets_;  // offset in effect from times_[i]
  int32_t initial_ = 0;           // before the first transition (RFC 8536: time type 0)
  std::optional<PosixTz> rule_;   // after the last transition (footer)
  mutable OffsetSpan memo_{0, 0, 0};  // empty: the first call computes
};

}  // namespace pushgw::tz
