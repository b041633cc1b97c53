// The SQLite engine of the store (the default): one connection shared by its
// parts (outcomes.h, campaigns.h, schedule.h, send_log.h) and the reads, loads and
// maintenance of the Backend interface. One process owns the file, so there
// is nothing to follow (Backend::follow's default).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "obs/log.h"
#include "pushgw/result.h"
#include "store/backend.h"
#include "store/sqlite/campaigns.h"
#include "store/sqlite/conn.h"
#include "store/sqlite/outcomes.h"
#include "store/sqlite/schedule.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/send_log.h"
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
  Result<std::string> claim_meta(std::string_view key, std::string_view value_if_absent) override;
  Result<void> for_each_suppressed(const SuppressedFn& fn) override;
  Result<void> for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) override;

  // full_sync: this commit fsyncs the WAL (synchronous=FULL).
  Result<void> begin(bool full_sync) override {
    campaigns_.drop_counts();
    return conn_->begin(full_sync);
  }
  Result<void> apply(const RecordView& r, TxnDelta& d) override { return outcomes_.apply(r, d); }
  Result<void> count_campaign(const RecordView& r) override { return outcomes_.count_campaign(r); }
  Result<void> apply_sends(const std::vector<SendDelta>& rows, TxnDelta& d) override {
    return outcomes_.apply_sends(rows, d);
  }
  Result<void> commit(TxnDelta&) override {
    if (auto r = campaigns_.write_counts(); !r) return r;
    return conn_->commit();
  }
  void rollback() override {
    campaigns_.drop_counts();
    conn_->rollback();
  }
  // A commit with synchronous=FULL that writes a heartbeat row.
  Result<void> barrier(int64_t now_ms) override;

  Result<TokenState> token(Platform p, std::string_view app, std::string_view token) override;
  Result<FeedbackPage> feedback(uint64_t since, uint32_t limit) override;
  Result<std::optional<int>> forget(Platform p, std::string_view app, std::string_view token) override;
  Result<uint64_t> prune(int64_t before_ms, uint32_t chunk) override;

  CampaignOps& campaigns() override { return campaigns_; }
  ScheduleOps& schedules() override { return schedule_; }
  SendLogOps* send_log() override { return &send_log_; }

 private:
  SqliteDb(std::string path, std::unique_ptr<SqliteConn> conn);
  Result<void> prepare();

  std::string path_;
  std::unique_ptr<SqliteConn> conn_;
  int schema_found_ = 0;
  SqliteCampaigns campaigns_;
  SqliteOutcomes outcomes_;
  SqliteSchedule schedule_;
  SqliteSendLog send_log_;
  Stmt heartbeat_, get_token_, get_events_, forget_, prune_;
};

}  // namespace pushgw::store::detail
