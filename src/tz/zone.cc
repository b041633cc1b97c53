#include "tz/zone.h"

#include <algorithm>

namespace pushgw::tz {

Zone Zone::fixed(int32_t offset_s) {
  Zone z;
  z.initial_ = offset_s;
  return z;
}

OffsetSpan Zone::span_at(int64_t t) const {
  if (times_.empty()) return rule_ ? rule_->span_at(t) : OffsetSpan{initial_, kMinTime, kMaxTime};
  if (t < times_.front()) return OffsetSpan{initial_, kMinTime, times_.front()};
  const size_t i = static_cast<size_t>(std::upper_bound(times_.begin(), times_.end(), t) - times_.begin()) - 1;
  if (i + 1 < times_.size()) return OffsetSpan{offsets_[i], times_[i], times_[i + 1]};
  if (!rule_) return OffsetSpan{offsets_[i], times_[i], kMaxTime};
  OffsetSpan s = rule_->span_at(t);
  s.from_s = std::max(s.from_s, times_[i]);
  return s;
}

}  // namespace pushgw::tz
