// Campaign policy in the SQLite engine (campaigns.h).
#include "store/sqlite/campaigns.h"

namespace pushgw::store::detail {

namespace {

constexpr const char* kUpsertCampaign =
    "INSERT INTO campaigns(name, sent, delivered, failed, invalid, unsubscribed, suppressed, capped, expired,"
    " opened, clicked, converted) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    " ON CONFLICT(name) DO UPDATE SET sent=sent+excluded.sent, delivered=delivered+excluded.delivered,"
    " failed=failed+excluded.failed, invalid=invalid+excluded.invalid,"
    " unsubscribed=unsubscribed+excluded.unsubscribed, suppressed=suppressed+excluded.suppressed,"
    " capped=capped+excluded.capped, expired=expired+excluded.expired, opened=opened+excluded.opened,"
    " clicked=clicked+excluded.clicked, converted=converted+excluded.converted";
constexpr const char* kGetCampaign =
    "SELECT sent, delivered, failed, invalid, unsubscribed, suppressed, capped, expired, opened, clicked,"
    " converted FROM campaigns WHERE name=?1";
constexpr const char* kInsertEngagement =
    "INSERT INTO engagement(at_ms, campaign, platform, app, token, kind) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";

}  // namespace

Result<void> SqliteCampaigns::prepare() {
  return conn_.prepare({{&upsert_, kUpsertCampaign}, {&get_, kGetCampaign}, {&ins_engagement_, kInsertEngagement}});
}

Result<void> SqliteCampaigns::add(std::string_view name, const CampaignDelta& c) {
  auto u = upsert_.use();
  u.bind(1, name).bind(2, c.sent).bind(3, c.delivered).bind(4, c.failed).bind(5, c.invalid);
  u.bind(6, c.unsubscribed).bind(7, c.suppressed).bind(8, c.capped).bind(9, c.expired).bind(10, c.opened);
  u.bind(11, c.clicked).bind(12, c.converted);
  return conn_.done(u, "campaign update");
}

Result<void> SqliteCampaigns::count_outcome(const RecordView& r) {
  CampaignDelta c;
  if (!outcome_delta(r.kind, c)) return ok();
  auto it = counts_.find(r.campaign);
  if (it == counts_.end()) it = counts_.emplace(std::string(r.campaign), CampaignDelta{}).first;
  it->second.add(c);
  return ok();
}

Result<void> SqliteCampaigns::write_counts() {
  for (const auto& [name, c] : counts_)
    if (auto r = add(name, c); !r) return r;
  counts_.clear();
  return ok();
}

Result<size_t> SqliteCampaigns::record_engagement(const std::vector<EngagementEvent>& events) {
  auto txn = SqliteTxn::begin(conn_, false);
  if (!txn) return txn.error();
  for (const EngagementEvent& e : events) {
    {
      auto u = ins_engagement_.use();
      u.bind(1, e.at_ms).bind(2, e.campaign).bind(3, static_cast<int64_t>(e.platform)).bind(4, e.app);
      u.bind(5, e.token).bind(6, static_cast<int64_t>(e.kind));
      if (auto r = conn_.done(u, "engagement insert"); !r) return r.error();
    }
    if (auto r = add(e.campaign, engagement_delta(e.kind)); !r) return r.error();
  }
  if (auto r = txn->commit(); !r) return r.error();
  return events.size();
}

Result<CampaignReport> SqliteCampaigns::campaign(std::string_view name) {
  auto u = get_.use();
  int rc = u.bind(1, name).step();
  CampaignReport c;
  if (rc == SQLITE_DONE) return c;
  if (rc != SQLITE_ROW) return conn_.error("store_read_failed", "campaign");
  c.found = true;
  uint64_t* cols[] = {&c.sent,       &c.delivered, &c.failed, &c.invalid, &c.unsubscribed, &c.suppressed,
                      &c.capped,     &c.expired,   &c.opened, &c.clicked, &c.converted};
  for (int i = 0; i < 11; ++i) *cols[i] = static_cast<uint64_t>(u.i64(i));
  return c;
}

}  // namespace pushgw::store::detail
