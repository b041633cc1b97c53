// Internal to the SQLite engine: scheduled sends (store/scheduled.h). One
// process owns the file, so a claim needs no row locks: one
// UPDATE .. RETURNING marks and returns the rows atomically.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/sqlite/conn.h"

namespace pushgw::store::detail {

class SqliteSchedule final : public ScheduleOps {
 public:
  explicit SqliteSchedule(SqliteConn& conn) : conn_(conn) {}
  Result<void> prepare();

  Result<size_t> schedule(const std::vector<ScheduledSend>& rows) override;
  Result<ClaimedSends> claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms, uint32_t limit) override;
  Result<void> finish_claimed(const std::vector<int64_t>& ids) override;
  Result<void> release_claimed(const std::vector<int64_t>& ids) override;
  Result<uint64_t> cancel_scheduled(std::string_view key, int64_t now_ms) override;
  Result<std::vector<ScheduledSend>> list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) override;

 private:
  Result<int64_t> next_claimable();
  // Runs st once per id in one transaction.
  Result<void> each_id(const Stmt& st, const std::vector<int64_t>& ids, const char* what);

  SqliteConn& conn_;
  Stmt insert_, claim_, next_due_, next_lease_, delete_, release_, cancel_, list_;
};

}  // namespace pushgw::store::detail
