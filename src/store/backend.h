// The database behind the store: one interface, one implementation per
// engine ([store] backend: "sqlite", the default, in store/sqlite/; "postgres"
// in store/pg/; store/engines/open.h picks one). The Writer (store thread) and
// Store talk only to this.
//
// Threads: not thread-safe. Once opened, only the store thread uses a Backend
// (before Store::start(), the opener does).
//
// Transactions: begin() .. apply()* .. commit() is one group commit; a
// failed apply() or commit() is followed by rollback(), and the Writer
// replays the same outcomes later, so apply() must leave nothing behind that
// rollback() does not undo. The other operations run outside a data
// transaction (the Writer never interleaves them with an open one).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obs/log.h"
#include "pushgw/platform.h"
#include "pushgw/result.h"
#include "store/outcome_ring.h"
#include "store/scheduled.h"
#include "store/types.h"

namespace pushgw::store::detail {

// Token states as stored (integer columns in every backend).
enum class DbState : int { Active = 0, Invalid = 1, Unsubscribed = 2 };

// "active" | "invalid" | "unsubscribed" ("unknown" for a value this build
// does not know); the token state a verdict leads to.
inline std::string state_name(int64_t s) {
  switch (static_cast<DbState>(s)) {
    case DbState::Active: return "active";
    case DbState::Invalid: return "invalid";
    case DbState::Unsubscribed: return "unsubscribed";
  }
  return "unknown";
}
inline int verdict_state(Kind k) {
  if (k == Kind::Invalid) return static_cast<int>(DbState::Invalid);
  if (k == Kind::Unsubscribed) return static_cast<int>(DbState::Unsubscribed);
  return static_cast<int>(DbState::Active);
}

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

// One token's sends (Sent, Delivered, Failed outcomes) summed by the store
// core (send_tally.h) since its last flush. Backend::apply_sends adds it to
// the token row; a token without a row gets one (state active, since
// first_at_ms). last_sent_at_ms only moves forward, and last_campaign follows
// it (a verdict written meanwhile may carry a later send time).
struct SendDelta {
  Platform platform = Platform::Apns;
  std::string_view app, token;
  std::string_view campaign;  // of the latest send ("" = none)
  int64_t first_at_ms = 0, last_at_ms = 0;
  uint64_t sent = 0, delivered = 0, failed = 0;
  uint64_t key = 0;  // the tally's keyed hash of the triple (send_tally.h), 0 = not known
};

// One send outcome (Sent/Delivered/Failed) as a delta of its own.
inline SendDelta send_delta(const RecordView& r) {
  SendDelta d;
  d.platform = r.platform;
  d.app = r.app;
  d.token = r.token;
  d.campaign = r.campaign;
  d.first_at_ms = d.last_at_ms = r.at_ms;
  d.sent = 1;
  d.delivered = r.kind == Kind::Delivered ? 1 : 0;
  d.failed = r.kind == Kind::Failed ? 1 : 0;
  return d;
}

// A change another instance sharing the database committed, which this
// instance must mirror in memory (see Backend::follow).
struct RemoteChange {
  enum class What : uint8_t {
    Suppress,       // token became invalid/unsubscribed; ms = its since
    Lift,           // reactivated (ms = registered_at) or forgotten (ms = 0)
    MarketingSend,  // an admitted marketing send at ms (frequency caps)
  };
  What what = What::Suppress;
  Platform platform = Platform::Apns;
  std::string_view app, token;  // valid during the callback only
  int64_t ms = 0;
};

// Campaign policy: per-campaign counters and engagement events.
class CampaignOps {
 public:
  virtual ~CampaignOps() = default;
  // Engagement events in one transaction (also counted in their campaigns).
  virtual Result<size_t> record_engagement(const std::vector<EngagementEvent>& events) = 0;
  // One campaign's counters (found = false when it has none).
  virtual Result<CampaignReport> campaign(std::string_view name) = 0;
};

// Scheduled sends (store/scheduled.h). Each runs as its own transaction.
class ScheduleOps {
 public:
  virtual ~ScheduleOps() = default;
  // Inserts rows with a fully synced commit (the send is acknowledged on
  // it); a row whose id exists already is skipped. Returns how many were new.
  virtual Result<size_t> schedule(const std::vector<ScheduledSend>& rows) = 0;
  // Atomically claims up to `limit` rows due at or before due_by_ms and not
  // under a lease at now_ms (earliest due first), leasing them until
  // lease_until_ms; reports when the next row becomes claimable.
  virtual Result<ClaimedSends> claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms,
                                         uint32_t limit) = 0;
  // Deletes claimed rows (handed on), or gives them back (lease ended now).
  virtual Result<void> finish_claimed(const std::vector<int64_t>& ids) = 0;
  virtual Result<void> release_claimed(const std::vector<int64_t>& ids) = 0;
  // Deletes the rows of a schedule key not under a lease at now_ms (leased
  // ones are being sent); returns how many recipients they held.
  virtual Result<uint64_t> cancel_scheduled(std::string_view key, int64_t now_ms) = 0;
  // Up to `limit` rows of a key not under a lease at now_ms, earliest due first.
  virtual Result<std::vector<ScheduledSend>> list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) = 0;
};

// The send log (send_log.h): flushes of the per-token send counters appended
// as blobs, and the tokens forgotten while some of their counts were still in
// it. Called inside a transaction the caller opened (Backend::begin), except
// the start-up reads.
class SendLogOps {
 public:
  virtual ~SendLogOps() = default;
  virtual Result<void> append(int64_t seq, uint32_t rows, std::string_view body) = 0;
  // Every entry, oldest first (start-up).
  using EntryFn = std::function<void(int64_t seq, std::string_view body)>;
  virtual Result<void> for_each(const EntryFn& fn) = 0;
  // The oldest entry; false when the log is empty.
  virtual Result<bool> oldest(int64_t& seq, std::string& body) = 0;
  // Deletes entry seq and the forgets no entry left needs (upto_seq <= seq).
  virtual Result<void> remove(int64_t seq) = 0;
  // Entries up to upto_seq must not count for this token any more.
  virtual Result<void> add_forget(Platform p, std::string_view app, std::string_view token, int64_t upto_seq) = 0;
  using ForgetFn = std::function<void(Platform, std::string_view app, std::string_view token, int64_t upto_seq)>;
  virtual Result<void> for_each_forget(const ForgetFn& fn) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Schema version found when opened (0: created now), and the one this
  // build writes.
  virtual int schema_found() const = 0;
  virtual int schema_version() const = 0;
  // For the open log line: the path, or the DSN without its password.
  virtual std::string describe() const = 0;

  virtual Result<Counts> counts() = 0;
  // The value stored under key in the engine's meta table; when there is none
  // yet, stores value_if_absent and returns it. Instances sharing a database
  // all get the first one stored. Start-up only, before the store thread.
  virtual Result<std::string> claim_meta(std::string_view key, std::string_view value_if_absent) = 0;
  using SuppressedFn = std::function<void(Platform, std::string_view app, std::string_view token, int64_t since)>;
  virtual Result<void> for_each_suppressed(const SuppressedFn& fn) = 0;
  // Campaign policy: deletes marketing sends older than since_ms, then calls
  // fn for the rest, oldest first (start-up only, before the store thread).
  using MarketingFn = std::function<void(Platform, std::string_view app, std::string_view token, int64_t at_ms)>;
  virtual Result<void> for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) = 0;

  // Data transactions. full_sync: this commit reaches stable storage before
  // commit() returns (the commit barrier); otherwise it survives a crash of
  // the process but may be lost on power failure until the next full sync.
  virtual Result<void> begin(bool full_sync) = 0;
  // Applies one outcome inside the open transaction, adding what it changed
  // to d. A backend may buffer outcomes and write them all in commit() (one
  // round trip to a server); the record's strings are only valid during
  // apply(), so it copies what it keeps.
  virtual Result<void> apply(const RecordView& r, TxnDelta& d) = 0;
  // The token counters of sends do not go through apply(): the store core
  // sums them (send_tally.h) and writes them with apply_sends(), coalesced and
  // ordered by (platform, app, token), every few seconds. For a send
  // (Sent/Delivered/Failed) the Writer calls count_campaign() instead of
  // apply(): only its campaign's counters (nothing when r.campaign is empty).
  virtual Result<void> count_campaign(const RecordView& r) = 0;
  // Adds each delta to its token row inside the open transaction (rows are in
  // key order, one per token); new rows count in d.tokens.
  virtual Result<void> apply_sends(const std::vector<SendDelta>& rows, TxnDelta& d) = 0;
  // d: the transaction's delta (the same object apply() got), for what only
  // the commit learns.
  virtual Result<void> commit(TxnDelta& d) = 0;
  virtual void rollback() = 0;  // no-op outside a transaction
  // A fully synced commit: once it returns, every earlier commit is on
  // stable storage too.
  virtual Result<void> barrier(int64_t now_ms) = 0;
  // Other instances commit to this database too (their commits are made
  // durable by our barrier, which flushes the shared log).
  virtual bool shared() const { return false; }

  // "unknown" state (and zero counts) when there is no row.
  virtual Result<TokenState> token(Platform p, std::string_view app, std::string_view token) = 0;
  virtual Result<FeedbackPage> feedback(uint64_t since, uint32_t limit) = 0;
  // Deletes the token row. Returns its state if there was one.
  virtual Result<std::optional<int>> forget(Platform p, std::string_view app, std::string_view token) = 0;
  // Deletes up to `chunk` events older than before_ms. Returns how many.
  virtual Result<uint64_t> prune(int64_t before_ms, uint32_t chunk) = 0;

  // The engine's campaign and scheduled-send operations (same thread rules).
  virtual CampaignOps& campaigns() = 0;
  virtual ScheduleOps& schedules() = 0;
  // The engine's send log, or null: the engine then takes the send counters
  // straight into its rows at every flush (PostgreSQL: one multi-row upsert
  // that the server, not this process, pays for).
  virtual SendLogOps* send_log() { return nullptr; }

  // Several instances sharing one database: calls fn for every change the
  // others committed since the last call (since open, the first time), in
  // commit order, and returns how many. A backend that only one process can
  // use (SQLite) has nothing to follow.
  using RemoteFn = std::function<void(const RemoteChange&)>;
  virtual Result<size_t> follow(const RemoteFn& fn) {
    (void)fn;
    return size_t{0};
  }

 protected:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
};

}  // namespace pushgw::store::detail
