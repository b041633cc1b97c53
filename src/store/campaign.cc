// Campaign policy in the store: per-campaign counters (updated from the
// outcome records on the store thread) and engagement events.
#include "store/token_db.h"

namespace pushgw::store::detail {

Result<void> TokenDb::add_campaign(std::string_view name, const CampaignDelta& c) {
  auto u = upsert_campaign_.use();
  u.bind(1, name).bind(2, c.sent).bind(3, c.delivered).bind(4, c.failed).bind(5, c.invalid);
  u.bind(6, c.unsubscribed).bind(7, c.suppressed).bind(8, c.capped).bind(9, c.expired).bind(10, c.opened);
  u.bind(11, c.clicked).bind(12, c.converted);
  return done(u, "campaign update");
}

Result<void> TokenDb::count_campaign(const RecordView& r) {
  CampaignDelta c;
  switch (r.kind) {
    case Kind::Sent: c.sent = 1; break;
    case Kind::Delivered: c.sent = c.delivered = 1; break;
    case Kind::Failed: c.sent = c.failed = 1; break;
    case Kind::Invalid: c.sent = c.invalid = 1; break;
    case Kind::Unsubscribed: c.sent = c.unsubscribed = 1; break;
    case Kind::Suppressed: c.suppressed = 1; break;
    case Kind::Capped: c.capped = 1; break;
    case Kind::Expired: c.expired = 1; break;
    case Kind::Reactivated:
    case Kind::MarketingSent: return ok();
  }
  return add_campaign(r.campaign, c);
}

Result<size_t> TokenDb::record_engagement(const std::vector<EngagementEvent>& events) {
  if (auto r = begin(false); !r) return r.error();
  for (const EngagementEvent& e : events) {
    {
      auto u = ins_engagement_.use();
      u.bind(1, e.at_ms).bind(2, e.campaign).bind(3, static_cast<int64_t>(e.platform)).bind(4, e.app);
      u.bind(5, e.token).bind(6, static_cast<int64_t>(e.kind));
      if (auto r = done(u, "engagement insert"); !r) {
        rollback();
        return r.error();
      }
    }
    CampaignDelta c;
    switch (e.kind) {
      case Engagement::Open: c.opened = 1; break;
      case Engagement::Click: c.clicked = 1; break;
      case Engagement::Conversion: c.converted = 1; break;
    }
    if (auto r = add_campaign(e.campaign, c); !r) {
      rollback();
      return r.error();
    }
  }
  if (auto r = commit(); !r) {
    rollback();
    return r.error();
  }
  return events.size();
}

Result<CampaignReport> TokenDb::campaign(std::string_view name) {
  auto u = get_campaign_.use();
  int rc = u.bind(1, name).step();
  CampaignReport c;
  if (rc == SQLITE_DONE) return c;
  if (rc != SQLITE_ROW) return sql_error(db_.get(), "store_read_failed", "campaign");
  c.found = true;
  uint64_t* cols[] = {&c.sent,       &c.delivered, &c.failed, &c.invalid, &c.unsubscribed, &c.suppressed,
                      &c.capped,     &c.expired,   &c.opened, &c.clicked, &c.converted};
  for (int i = 0; i < 11; ++i) *cols[i] = static_cast<uint64_t>(u.i64(i));
  return c;
}

}  // namespace pushgw::store::detail
