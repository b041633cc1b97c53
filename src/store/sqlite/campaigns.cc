// Campaign policy in the store: per-campaign counters (updated from the
// outcome records on the store thread) and engagement events.
#include "store/sqlite/sqlite_db.h"

namespace pushgw::store::detail {

Result<void> SqliteDb::add_campaign(std::string_view name, const CampaignDelta& c) {
  auto u = upsert_campaign_.use();
  u.bind(1, name).bind(2, c.sent).bind(3, c.delivered).bind(4, c.failed).bind(5, c.invalid);
  u.bind(6, c.unsubscribed).bind(7, c.suppressed).bind(8, c.capped).bind(9, c.expired).bind(10, c.opened);
  u.bind(11, c.clicked).bind(12, c.converted);
  return done(u, "campaign update");
}

Result<void> SqliteDb::count_campaign(const RecordView& r) {
  CampaignDelta c;
  if (!outcome_delta(r.kind, c)) return ok();
  return add_campaign(r.campaign, c);
}

Result<size_t> SqliteDb::record_engagement(const std::vector<EngagementEvent>& events) {
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
    if (auto r = add_campaign(e.campaign, engagement_delta(e.kind)); !r) {
      rollback();
      return r.error();
    }
  }
  if (auto r = end_txn(); !r) {
    rollback();
    return r.error();
  }
  return events.size();
}

Result<CampaignReport> SqliteDb::campaign(std::string_view name) {
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
