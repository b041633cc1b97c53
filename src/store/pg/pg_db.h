// The PostgreSQL backend of the store ([store] backend = "postgres"): one
// libpq connection, owned by the store thread.
//
// Writes: apply() only buffers (copies) the outcomes of a group commit;
// commit() sends the whole transaction as one pipeline (one round trip):
// sends aggregated per token into one multi-row upsert, verdicts in order
// through pushgw_apply_verdicts(), marketing sends and campaign counters as
// multi-row statements. Ordinary commits run with synchronous_commit = off
// (durable once the server's WAL writer flushes, a fraction of a second);
// full-sync commits and barrier() with it on.
//
// Several instances: every instance has a random 64-bit id. Changes to
// suppression and admitted marketing sends are logged with it, and follow()
// replays the others' entries (see backend.h).
//
// A lost connection fails the operation in progress (the Writer retries
// with backoff); the next operation reconnects.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obs/log.h"
#include "pushgw/result.h"
#include "store/backend.h"
#include "store/campaign_delta.h"
#include "store/pg/pg.h"

namespace pushgw::store::detail {

class PgDb final : public Backend {
 public:
  // Connects, migrates, prepares statements. Errors: store_open_failed (the
  // message names the DSN without its password), plus pg_migrate()'s.
  static Result<std::unique_ptr<PgDb>> open(const std::string& dsn, const obs::Logger& log);

  int schema_found() const override { return schema_found_; }
  int schema_version() const override;
  std::string describe() const override { return "postgres " + redacted_; }
  Result<Counts> counts() override;
  Result<void> for_each_suppressed(const SuppressedFn& fn) override;
  Result<void> for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) override;

  Result<void> begin(bool full_sync) override;
  Result<void> apply(const RecordView& r, TxnDelta& d) override;
  Result<void> commit(TxnDelta& d) override;
  void rollback() override;
  Result<void> barrier(int64_t now_ms) override;

  Result<TokenState> token(Platform p, std::string_view app, std::string_view token) override;
  Result<size_t> record_engagement(const std::vector<EngagementEvent>& events) override;
  Result<CampaignReport> campaign(std::string_view name) override;
  Result<FeedbackPage> feedback(uint64_t since, uint32_t limit) override;
  Result<std::optional<int>> forget(Platform p, std::string_view app, std::string_view token) override;
  Result<uint64_t> prune(int64_t before_ms, uint32_t chunk) override;
  Result<size_t> follow(const RemoteFn& fn) override;

  // Scheduled sends (pg_schedule.cc).
  Result<size_t> schedule(const std::vector<ScheduledSend>& rows) override;
  Result<ClaimedSends> claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms, uint32_t limit) override;
  Result<void> finish_claimed(const std::vector<int64_t>& ids) override;
  Result<void> release_claimed(const std::vector<int64_t>& ids) override;
  Result<uint64_t> cancel_scheduled(std::string_view key, int64_t now_ms) override;
  Result<std::vector<ScheduledSend>> list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) override;

  int64_t instance() const { return instance_; }

 private:
  // One token's sends within a transaction, summed (one upsert row each).
  struct SendRow {
    int16_t platform;
    std::string app, key, full, campaign;  // as stored: key (pg_token_key), full ("" unless key is a digest)
    int64_t first_at, last_at;
    int64_t sent, delivered, failed;
  };
  // Column arrays of the verdicts of a transaction, in apply() order.
  struct VerdictCols {
    PgArray kind, platform, app, key, full, reason, since, at, campaign;
    size_t size() const { return kind.size(); }
    void clear();
  };
  struct MarketingCols {
    PgArray platform, app, token, at;
    size_t size() const { return at.size(); }
    void clear();
  };

  PgDb() = default;
  // A usable connection: reconnects (and prepares again) after a loss, and
  // rolls back what a failed operation left open.
  Result<void> ensure();
  Result<void> setup_session();
  void clear_batch();
  void add_send(const RecordView& r);
  // Runs a pipelined transaction; on failure leaves the connection idle.
  Result<std::vector<PgResultPtr>> run_txn(PgPipeline& pl, const char* code);
  // One prepared statement, inside whatever transaction is open (callers
  // ensure() first).
  Result<PgResultPtr> query(const char* stmt, PgParams& p, const char* code);
  // Streams the rows of a prepared statement one at a time.
  Result<void> each_row(const char* stmt, PgParams& p, const std::function<void(const PGresult*)>& row);
  Result<int64_t> max_seq(const char* stmt);  // kPgMaxLog / kPgMaxMarketing
  Result<void> by_ids(const char* stmt, const std::vector<int64_t>& ids);  // pg_schedule.cc

  PgConnPtr conn_;
  std::string redacted_;
  obs::Logger log_;
  int schema_found_ = 0;
  int64_t instance_ = 0;
  // follow() positions: the last seq seen in each followed table.
  int64_t log_pos_ = 0, marketing_pos_ = 0;

  // The open transaction's buffered writes.
  bool txn_ = false, full_sync_ = false;
  std::vector<SendRow> sends_;
  VerdictCols verdicts_;
  MarketingCols marketing_;
  std::map<std::string, CampaignDelta, std::less<>> campaigns_;
};

}  // namespace pushgw::store::detail
