// The PostgreSQL engine of the store ([store] backend = "postgres"): one
// libpq connection (session.h), owned by the store thread, shared by the
// group commit (commit.h), campaigns (campaigns.h), scheduled sends
// (schedule.h) and the reads, loads and maintenance here.
//
// Several instances: every instance has a random 64-bit id. Changes to
// suppression and admitted marketing sends are logged with it, and follow()
// replays the others' entries (see backend.h).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "obs/log.h"
#include "pushgw/result.h"
#include "store/backend.h"
#include "store/pg/campaigns.h"
#include "store/pg/commit.h"
#include "store/pg/schedule.h"
#include "store/pg/session.h"

namespace pushgw::store::detail {

class PgDb final : public Backend {
 public:
  // Connects, migrates, prepares statements. Errors: store_open_failed (the
  // message names the DSN without its password), plus pg_migrate()'s.
  static Result<std::unique_ptr<PgDb>> open(const std::string& dsn, const obs::Logger& log);

  int schema_found() const override { return schema_found_; }
  int schema_version() const override;
  std::string describe() const override { return "postgres " + s_->redacted(); }
  Result<Counts> counts() override;
  Result<std::string> claim_meta(std::string_view key, std::string_view value_if_absent) override;
  Result<void> for_each_suppressed(const SuppressedFn& fn) override;
  Result<void> for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) override;

  Result<void> begin(bool full_sync) override { return commit_.begin(full_sync); }
  Result<void> apply(const RecordView& r, TxnDelta&) override { return commit_.apply(r); }
  Result<void> count_campaign(const RecordView& r) override { return commit_.count_campaign(r); }
  Result<void> apply_sends(const std::vector<SendDelta>& rows, TxnDelta&) override {
    return commit_.apply_sends(rows);
  }
  Result<void> commit(TxnDelta& d) override { return commit_.commit(d); }
  void rollback() override { commit_.rollback(); }
  Result<void> barrier(int64_t) override { return commit_.barrier(); }

  Result<TokenState> token(Platform p, std::string_view app, std::string_view token) override;
  Result<FeedbackPage> feedback(uint64_t since, uint32_t limit) override;
  Result<std::optional<int>> forget(Platform p, std::string_view app, std::string_view token) override;
  Result<uint64_t> prune(int64_t before_ms, uint32_t chunk) override;
  Result<size_t> follow(const RemoteFn& fn) override;
  bool shared() const override { return true; }

  CampaignOps& campaigns() override { return campaigns_; }
  ScheduleOps& schedules() override { return schedule_; }

  int64_t instance() const { return s_->instance(); }

 private:
  explicit PgDb(std::unique_ptr<PgSession> s);

  std::unique_ptr<PgSession> s_;
  int schema_found_ = 0;
  // follow() positions: the last seq seen in each followed table.
  int64_t log_pos_ = 0, marketing_pos_ = 0;
  PgCommit commit_;
  PgCampaigns campaigns_;
  PgSchedule schedule_;
};

}  // namespace pushgw::store::detail
