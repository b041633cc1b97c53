// Campaigns in the PostgreSQL engine (campaigns.h).
#include "store/pg/campaigns.h"

#include <map>
#include <string>

#include "store/campaign_delta.h"
#include "store/pg/statements.h"

namespace pushgw::store::detail {

Result<CampaignReport> PgCampaigns::campaign(std::string_view name) {
  if (auto r = s_.ensure(); !r) return r.error();
  PgParams params;
  params.add(name);
  auto res = s_.query(kPgGetCampaign, params, "store_read_failed");
  if (!res) return res.error();
  const PGresult* r = res->get();
  CampaignReport c;
  if (PQntuples(r) == 0) return c;
  c.found = true;
  uint64_t* cols[] = {&c.sent,   &c.delivered, &c.failed, &c.invalid, &c.unsubscribed, &c.suppressed,
                      &c.capped, &c.expired,   &c.opened, &c.clicked, &c.converted};
  for (int i = 0; i < 11; ++i) *cols[i] = static_cast<uint64_t>(pg_i64(r, 0, i));
  return c;
}

Result<size_t> PgCampaigns::record_engagement(const std::vector<EngagementEvent>& events) {
  if (events.empty()) return size_t{0};
  if (auto r = s_.ensure(); !r) return r.error();
  PgArray at, camp, plat, app, tok, kind;
  std::map<std::string, CampaignDelta, std::less<>> per_campaign;
  for (const EngagementEvent& e : events) {
    at.add(e.at_ms);
    camp.add(e.campaign);
    plat.add(static_cast<int64_t>(e.platform));
    app.add(e.app);
    tok.add(e.token);
    kind.add(static_cast<int64_t>(e.kind));
    per_campaign[pg_text(e.campaign)].add(engagement_delta(e.kind));  // keyed as stored
  }
  PgArray names, counters[CampaignDelta::kColumns];
  for (const auto& [name, c] : per_campaign) {
    names.add(name);
    const auto v = c.columns();
    for (size_t k = 0; k < CampaignDelta::kColumns; ++k) counters[k].add(v[k]);
  }
  PgPipeline pl(s_.get());
  PgParams ins, upd;
  for (PgArray* a : {&at, &camp, &plat, &app, &tok, &kind}) ins.add_clean(a->literal());
  upd.add_clean(names.literal());
  for (PgArray& a : counters) upd.add_clean(a.literal());
  pl.sql("BEGIN");
  pl.prepared(kPgInsertEngagement, ins);
  pl.prepared(kPgUpsertCampaigns, upd);
  pl.sql("COMMIT");
  auto res = s_.run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  return events.size();
}

}  // namespace pushgw::store::detail
