// The SQLite side of the store: one connection, its prepared statements, and
// the few operations the store thread performs. Not thread-safe: after open()
// only the store thread touches it (before start(), the opener does).
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obs/log.h"
#include "pushgw/result.h"
#include "store/outcome_ring.h"
#include "store/schema.h"
#include "store/sqlite.h"
#include "store/types.h"

namespace pushgw::store::detail {

// What one transaction changed in the counts that stats() reports; applied to
// the atomics only after COMMIT succeeds.
struct TxnDelta {
  int64_t tokens = 0, invalid = 0, unsubscribed = 0, events = 0;
  void add_state(int state, int64_t n) {
    if (state == static_cast<int>(DbState::Invalid)) invalid += n;
    if (state == static_cast<int>(DbState::Unsubscribed)) unsubscribed += n;
  }
};

struct Counts {
  uint64_t tokens = 0, invalid = 0, unsubscribed = 0, events = 0;
};

class TokenDb {
 public:
  // Opens or creates path (its directory must exist), WAL + synchronous=NORMAL,
  // migrates, prepares statements. Errors: store_path_empty, store_dir_missing,
  // store_open_failed, store_not_wal, plus those of migrate().
  static Result<std::unique_ptr<TokenDb>> open(const std::string& path, const obs::Logger& log);

  int schema_found() const { return schema_found_; }
  Result<Counts> counts();
  using SuppressedFn = std::function<void(Platform, std::string_view app, std::string_view token, int64_t since)>;
  Result<void> for_each_suppressed(const SuppressedFn& fn);
  // Campaign policy: deletes marketing sends older than since_ms, then calls
  // fn for the rest, oldest first (start-up only, before the store thread).
  using MarketingFn = std::function<void(Platform, std::string_view app, std::string_view token, int64_t at_ms)>;
  Result<void> for_each_marketing_send(int64_t since_ms, const MarketingFn& fn);

  // Data transactions. full_sync: this commit fsyncs the WAL (commit barrier).
  Result<void> begin(bool full_sync);
  Result<void> commit();
  void rollback();
  bool in_txn() const { return sqlite3_get_autocommit(db_.get()) == 0; }
  // Applies one outcome inside the open transaction.
  Result<void> apply(const RecordView& r, TxnDelta& d);
  // A commit with synchronous=FULL that writes a heartbeat row: once it
  // returns, every earlier commit is on stable storage too.
  Result<void> barrier(int64_t now_ms);

  Result<TokenState> token(Platform p, std::string_view app, std::string_view token);
  // Campaign policy (campaign.cc): engagement events in one transaction (also
  // counted in their campaigns); one campaign's counters.
  Result<size_t> record_engagement(const std::vector<EngagementEvent>& events);
  Result<CampaignReport> campaign(std::string_view name);
  Result<FeedbackPage> feedback(uint64_t since, uint32_t limit);
  // Deletes the token row. Returns its state if there was one.
  Result<std::optional<int>> forget(Platform p, std::string_view app, std::string_view token);
  // Deletes up to `chunk` events older than before_ms. Returns how many.
  Result<uint64_t> prune(int64_t before_ms, uint32_t chunk);

  sqlite3* handle() const { return db_.get(); }

 private:
  TokenDb() = default;
  Result<void> prepare_all();
  Result<void> set_sync(bool full);
  Result<void> done(Stmt::Use& u, const char* what);
  Result<void> apply_send(const RecordView& r, TxnDelta& d);
  // Adds one outcome to its campaign's counters (campaign.cc).
  Result<void> count_campaign(const RecordView& r);
  struct CampaignDelta {
    int64_t sent = 0, delivered = 0, failed = 0, invalid = 0, unsubscribed = 0, suppressed = 0, capped = 0,
            expired = 0, opened = 0, clicked = 0, converted = 0;
  };
  Result<void> add_campaign(std::string_view name, const CampaignDelta& d);

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
};

}  // namespace pushgw::store::detail
