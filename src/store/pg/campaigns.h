// Internal to the PostgreSQL engine: campaign counters and engagement events
// (the counters of outcome records are written by the group commit).
#pragma once
#include <string_view>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/pg/session.h"

namespace pushgw::store::detail {

class PgCampaigns final : public CampaignOps {
 public:
  explicit PgCampaigns(PgSession& s) : s_(s) {}
  Result<size_t> record_engagement(const std::vector<EngagementEvent>& events) override;
  Result<CampaignReport> campaign(std::string_view name) override;

 private:
  PgSession& s_;
};

}  // namespace pushgw::store::detail
