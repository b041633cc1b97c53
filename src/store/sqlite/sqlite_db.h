// The SQLite backend of the store (the default): one connection, its prepared
// statements, and the operations of the Backend interface. One process owns
// the file, so there is nothing to follow (Backend::follow's default).
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obs/log.h"
#include "pushgw/result.h"
#include "store/backend.h"
#include "store/campaign_delta.h"
#include "store/outcome_ring.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/stmt.h"
#include "store/types.h"

namespace pushgw::store::detail {

class SqliteDb final : public Backend {
 public:
  // Opens or creates path (its directory must exist), WAL + synchronous=NORMAL,
  // migrates, prepares statements. Errors: store_path_empty, store_dir_missing,
  // store_open_failed, store_not_wal, plus those of migrate().
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path, const obs::Logger& log);

  int schema_found() const override { return schema_found_; }
  int schema_version() const override { return kSchemaVersion; }
  std::string describe() const override { return path_; }
  Result<Counts> counts() override;
  Result<void> for_each_suppressed(const SuppressedFn& fn) override;
  Result<void> for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) override;

  // full_sync: this commit fsyncs the WAL (synchronous=FULL).
  Result<void> begin(bool full_sync) override;
  Result<void> apply(const RecordView& r, TxnDelta& d) override;
  Result<void> commit(TxnDelta&) override { return end_txn(); }
  void rollback() override;
  // A commit with synchronous=FULL that writes a heartbeat row.
  Result<void> barrier(int64_t now_ms) override;

  Result<TokenState> token(Platform p, std::string_view app, std::string_view token) override;
  Result<size_t> record_engagement(const std::vector<EngagementEvent>& events) override;  // sqlite_campaign.cc
  Result<CampaignReport> campaign(std::string_view name) override;                        // sqlite_campaign.cc
  Result<FeedbackPage> feedback(uint64_t since, uint32_t limit) override;
  Result<std::optional<int>> forget(Platform p, std::string_view app, std::string_view token) override;
  Result<uint64_t> prune(int64_t before_ms, uint32_t chunk) override;

  // Scheduled sends (sqlite_schedule.cc).
  Result<size_t> schedule(const std::vector<ScheduledSend>& rows) override;
  Result<ClaimedSends> claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms, uint32_t limit) override;
  Result<void> finish_claimed(const std::vector<int64_t>& ids) override;
  Result<void> release_claimed(const std::vector<int64_t>& ids) override;
  Result<uint64_t> cancel_scheduled(std::string_view key, int64_t now_ms) override;
  Result<std::vector<ScheduledSend>> list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) override;

 private:
  SqliteDb() = default;
  bool in_txn() const { return sqlite3_get_autocommit(db_.get()) == 0; }
  Result<void> end_txn();  // COMMIT
  Result<void> prepare_all();
  Result<void> set_sync(bool full);
  Result<void> done(Stmt::Use& u, const char* what);
  Result<void> apply_send(const RecordView& r, TxnDelta& d);
  // Adds one outcome to its campaign's counters (sqlite_campaign.cc).
  Result<void> count_campaign(const RecordView& r);
  Result<void> add_campaign(std::string_view name, const CampaignDelta& d);
  Result<void> prepare_schedule();  // sqlite_schedule.cc
  Result<int64_t> next_claimable();
  Result<void> each_id(const Stmt& st, const std::vector<int64_t>& ids, const char* what);

  std::string path_;
  DbPtr db_;
  int schema_found_ = 0;
  bool full_sync_ = false;
  // > 0: recent sends mostly hit unknown tokens, so apply_send() tries the
  // INSERT first (one B-tree descent instead of a missed UPDATE + INSERT).
  int insert_bias_ = 0;
  Stmt begin_, commit_, rollback_;
  Stmt sel_, ins_, upd_sent_, upd_state_, ins_event_, heartbeat_;
  Stmt get_token_, get_events_, forget_, prune_, ins_marketing_;
  Stmt upsert_campaign_, get_campaign_, ins_engagement_;
  Stmt ins_sched_, claim_sched_, next_due_, next_lease_, del_sched_, release_sched_, cancel_sched_, list_sched_;
};

}  // namespace pushgw::store::detail
