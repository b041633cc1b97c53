// Internal to the SQLite engine: campaign policy in the database, per-campaign
// counters (updated from outcome records inside the group commit, and from
// engagement events) and the engagement table.
#pragma once
#include <string_view>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/campaign_delta.h"
#include "store/sqlite/conn.h"

namespace pushgw::store::detail {

class SqliteCampaigns final : public CampaignOps {
 public:
  explicit SqliteCampaigns(SqliteConn& conn) : conn_(conn) {}
  Result<void> prepare();

  Result<size_t> record_engagement(const std::vector<EngagementEvent>& events) override;
  Result<CampaignReport> campaign(std::string_view name) override;

  // Inside the open transaction: adds what one outcome record counts in its
  // campaign (nothing for a kind campaigns do not count).
  Result<void> count_outcome(const RecordView& r);

 private:
  Result<void> add(std::string_view name, const CampaignDelta& d);

  SqliteConn& conn_;
  Stmt upsert_, get_, ins_engagement_;
};

}  // namespace pushgw::store::detail
