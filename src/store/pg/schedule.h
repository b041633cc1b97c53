// Internal to the PostgreSQL engine: scheduled sends (store/scheduled.h), the
// same rows and rules as the SQLite engine's, for several instances at once.
// A claim locks the due rows it takes (FOR UPDATE SKIP LOCKED) and leases
// them in one statement, so each row is handed to exactly one instance.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/pg/session.h"

namespace pushgw::store::detail {

class PgSchedule final : public ScheduleOps {
 public:
  explicit PgSchedule(PgSession& s) : s_(s) {}

  Result<size_t> schedule(const std::vector<ScheduledSend>& rows) override;
  Result<ClaimedSends> claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms, uint32_t limit) override;
  Result<void> finish_claimed(const std::vector<int64_t>& ids) override;
  Result<void> release_claimed(const std::vector<int64_t>& ids) override;
  Result<uint64_t> cancel_scheduled(std::string_view key, int64_t now_ms) override;
  Result<std::vector<ScheduledSend>> list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) override;

 private:
  Result<void> by_ids(const char* stmt, const std::vector<int64_t>& ids);

  PgSession& s_;
};

}  // namespace pushgw::store::detail
