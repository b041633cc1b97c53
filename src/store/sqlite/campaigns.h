// Internal to the SQLite engine: campaign policy in the database, per-campaign
// counters (updated from outcome records inside the group commit, and from
// engagement events) and the engagement table.
#pragma once
#include <functional>
#include <map>
#include <string>
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
  // campaign (nothing for a kind campaigns do not count). Summed in memory
  // per campaign and written by write_counts() before the commit: one row
  // write per campaign and transaction instead of one per outcome.
  Result<void> count_outcome(const RecordView& r);
  Result<void> write_counts();
  void drop_counts() { counts_.clear(); }  // rollback

 private:
  Result<void> add(std::string_view name, const CampaignDelta& d);

  SqliteConn& conn_;
  Stmt upsert_, get_, ins_engagement_;
  std::map<std::string, CampaignDelta, std::less<>> counts_;  // this transaction's
};

}  // namespace pushgw::store::detail
