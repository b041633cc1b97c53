// Internal to the PostgreSQL engine: the group commit. apply() only buffers
// (copies) the outcomes of a transaction; commit() sends the whole
// transaction as one pipeline (one round trip): sends aggregated per token
// into one multi-row upsert, verdicts in order through
// pushgw_apply_verdicts(), marketing sends and campaign counters as
// multi-row statements. Ordinary commits run with synchronous_commit = off
// (durable once the server's WAL writer flushes, a fraction of a second);
// full-sync commits and barrier() with it on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/campaign_delta.h"
#include "store/pg/pg.h"
#include "store/pg/session.h"

namespace pushgw::store::detail {

class PgCommit {
 public:
  explicit PgCommit(PgSession& s) : s_(s) {}

  // The Backend's data transactions (backend.h).
  Result<void> begin(bool full_sync);
  Result<void> apply(const RecordView& r);
  // Backend::count_campaign, Backend::apply_sends (buffered like apply()).
  Result<void> count_campaign(const RecordView& r);
  Result<void> apply_sends(const std::vector<SendDelta>& rows);
  Result<void> commit(TxnDelta& d);
  void rollback();
  Result<void> barrier();

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

  void clear();
  void add_send(const SendDelta& d);
  void count(const RecordView& r);
  void add_verdict(const RecordView& r);
  // Each queues its statement (if it has rows) and returns its result index.
  std::optional<size_t> queue_sends(PgPipeline& pl);
  std::optional<size_t> queue_verdicts(PgPipeline& pl);
  void queue_marketing(PgPipeline& pl);
  void queue_campaigns(PgPipeline& pl);

  PgSession& s_;
  bool txn_ = false, full_sync_ = false;
  std::vector<SendRow> sends_;
  VerdictCols verdicts_;
  MarketingCols marketing_;
  std::map<std::string, CampaignDelta, std::less<>> campaigns_;
};

}  // namespace pushgw::store::detail
