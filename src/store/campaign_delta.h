// What one outcome or engagement event adds to its campaign's counters: the
// rule both backends apply (README "Campaign policy": sent counts recipients
// that reached the provider).
#pragma once
#include <array>
#include <cstdint>

#include "store/types.h"

namespace pushgw::store::detail {

struct CampaignDelta {
  int64_t sent = 0, delivered = 0, failed = 0, invalid = 0, unsubscribed = 0, suppressed = 0, capped = 0,
          expired = 0, opened = 0, clicked = 0, converted = 0;
  static constexpr size_t kColumns = 11;
  // In the column order of the campaigns table (after name).
  std::array<int64_t, kColumns> columns() const {
    return {sent, delivered, failed, invalid, unsubscribed, suppressed, capped, expired, opened, clicked, converted};
  }
  void add(const CampaignDelta& o) {
    int64_t* mine[] = {&sent,    &delivered, &failed, &invalid, &unsubscribed, &suppressed,
                       &capped,  &expired,   &opened, &clicked, &converted};
    const auto theirs = o.columns();
    for (size_t i = 0; i < kColumns; ++i) *mine[i] += theirs[i];
  }
};

// false: the kind does not count in campaigns (Reactivated, MarketingSent).
inline bool outcome_delta(Kind k, CampaignDelta& c) {
  switch (k) {
    case Kind::Sent: c.sent = 1; return true;
    case Kind::Delivered: c.sent = c.delivered = 1; return true;
    case Kind::Failed: c.sent = c.failed = 1; return true;
    case Kind::Invalid: c.sent = c.invalid = 1; return true;
    case Kind::Unsubscribed: c.sent = c.unsubscribed = 1; return true;
    case Kind::Suppressed: c.suppressed = 1; return true;
    case Kind::Capped: c.capped = 1; return true;
    case Kind::Expired: c.expired = 1; return true;
    case Kind::Reactivated:
    case Kind::MarketingSent: return false;
  }
  return false;
}

inline CampaignDelta engagement_delta(Engagement e) {
  CampaignDelta c;
  switch (e) {
    case Engagement::Open: c.opened = 1; break;
    case Engagement::Click: c.clicked = 1; break;
    case Engagement::Conversion: c.converted = 1; break;
  }
  return c;
}

}  // namespace pushgw::store::detail
