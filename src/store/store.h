// Token store and feedback change-feed, on a database Backend (backend.h):
// embedded SQLite (WAL, the default) or a PostgreSQL database that several
// instances may share; each then follows the others' suppressions and
// marketing sends (on_remote_marketing_send) on its store thread. The engine
// is chosen by store/engines/open.h (open_store); this core knows neither.
//
// Threads: sender threads call record() (each on its own producer index) and
// suppressed(); any thread calls the async ops, after_commit() and stats().
// One store thread (start()) owns the database: it drains the per-sender rings
// into batched transactions (group commit at most every commit_interval_ms or
// batch_max outcomes) and runs the async ops. Sends (Sent/Delivered/Failed)
// add to in-memory per-token counters instead, written as key-ordered rows
// every send_flush_ms (send_tally.h, pending_sends.h). Senders never wait on disk and
// never take a lock: a full ring makes record() return false.
//
// Callbacks of the async ops and of after_commit run on the store thread; they
// must be short and must not throw. A callback still pending when the Store is
// destroyed after a persistent write failure is dropped without a call.
//
// Lifetime: `clock` must outlive the Store. Stop the senders before
// destroying it; the destructor commits everything already recorded.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "pushgw/platform.h"
#include "pushgw/result.h"
#include "store/key_hash.h"
#include "store/scheduled.h"
#include "store/types.h"

namespace pushgw::store {

class SuppressionSet;
class OutcomeRing;
namespace detail {
class Backend;
struct RemoteChange;
class Writer;
struct Counters;
}  // namespace detail

class Store {
 public:
  // Takes an opened (migrated) backend, loads the counts and the
  // suppression set from it. producers = number of sender threads (>= 1),
  // one ring each. Errors: store_bad_argument, and the backend's read errors.
  static Result<std::unique_ptr<Store>> open(std::unique_ptr<detail::Backend> db, int producers, const Clock& clock,
                                             obs::Logger log, const StoreOptions& opt = {});
  ~Store();  // commits everything recorded, serves queued requests, stops the thread
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  void start();  // starts the store thread (before it, requests just queue)

  // Campaign policy, before start() only: drops recorded marketing sends
  // (Kind::MarketingSent) older than since_ms and calls fn(key_hash, at_ms)
  // for each remaining one, oldest first.
  Result<void> load_marketing_sends(int64_t since_ms, const std::function<void(uint64_t key, int64_t at_ms)>& fn);
  // Before start() only: on a database shared with other instances
  // ([store] backend = "postgres"), fn(key_hash, at_ms) runs on the store
  // thread for each marketing send another instance admitted, within about
  // follow_interval_ms of its commit. fn must outlive the Store.
  void on_remote_marketing_send(std::function<void(uint64_t key, int64_t at_ms)> fn);

  // Sender thread `producer` only (0..producers-1). Returns false when that
  // ring is full (or, rarely, the suppression table is full until the store
  // thread grows it): retry later (spin/yield). When it returns true, an
  // Invalid/Unsubscribed verdict is already visible to suppressed() on every
  // thread; Reactivated lifts suppression if the stored since < o.since_ms
  // (registered_at). Retrying the same outcome is harmless.
  // at_ms 0 means now. An outcome with token > 8 KiB or app > 255 bytes is
  // counted in stats().dropped and not stored (true is returned); campaign
  // and reason are cut to 1 KiB.
  bool record(int producer, const Outcome& o);

  // Positions in `producer`'s ring, for a sender that must act only after
  // its records are committed (the spool's done marks): recorded() is the
  // position after its last record() (sender thread `producer` only);
  // committed() reaches it once every record before it is committed (any
  // thread, an atomic load). A commit survives a crash of the process; with
  // SQLite synchronous=NORMAL / PostgreSQL synchronous_commit=off not
  // necessarily a power loss (after_commit() waits for that).
  uint64_t recorded(int producer) const;
  uint64_t committed(int producer) const;

  // Any thread, lock-free, O(1): is (p, app, token) known invalid or
  // unsubscribed? With registered_at_ms later than the stored since it is not
  // (the caller then sends and records Kind::Reactivated).
  bool suppressed(Platform p, std::string_view app, std::string_view token, int64_t registered_at_ms = 0) const;

  // The same lookup, telling apart the case the caller must act on: Lifted =
  // the token is known invalid/unsubscribed but registered_at_ms is later than
  // its since, so send it and record Kind::Reactivated with since_ms =
  // registered_at_ms (that sets the token active again).
  enum class Check : uint8_t { Clear, Suppressed, Lifted };
  Check check(Platform p, std::string_view app, std::string_view token, int64_t registered_at_ms = 0) const;

  // Any thread: the 64-bit key of (p, app, token) in the suppression set and
  // the marketing caps, keyed with this installation's secret (key_hash.h).
  uint64_t key(Platform p, std::string_view app, std::string_view token) const;

  // done() runs on the store thread once every outcome recorded (by any
  // producer) before this call is committed and synced to stable storage:
  // verdicts, events, campaign counts. The per-token counters of sends are
  // summed in memory and written every StoreOptions::send_flush_ms (and at
  // stop); token() includes them at once (send_tally.h).
  void after_commit(std::function<void()> done);

  // Async reads, run on the store thread after every outcome recorded before
  // the call is committed. limit 0 means 1000; at most 10000 per page.
  // feedback() serves only durable events: it runs after a barrier when
  // something committed may not be synced yet (always on a shared database).
  void feedback(uint64_t since, uint32_t limit, std::function<void(Result<FeedbackPage>)> cb);
  // state "unknown" (and zero counts) when the store has no row for the token.
  void token(Platform p, std::string app, std::string token, std::function<void(Result<TokenState>)> cb);
  // Lifts suppression now (on the calling thread); deletes the token row on
  // the store thread; events stay. cb(true) when there was a row.
  void forget(Platform p, std::string app, std::string token, std::function<void(Result<bool>)> cb);
  // Campaign policy: records engagement events in one transaction after
  // every outcome recorded before the call; cb(number recorded).
  void engagement(std::vector<EngagementEvent> events, std::function<void(Result<size_t>)> cb);
  // One campaign's counters, after every outcome recorded before the call is committed.
  void campaign(std::string name, std::function<void(Result<CampaignReport>)> cb);
  // Writes the per-token send counters summed in memory (they otherwise
  // reach the database every StoreOptions::send_flush_ms) once every outcome
  // recorded before the call is committed; cb(error) if that write failed
  // (the counters stay pending and are retried).
  void flush_sends(std::function<void(Result<void>)> cb);
  // Runs event retention to completion now; cb(number of events removed).
  // (It also runs by itself, a chunk at a time, between batches.)
  void prune(std::function<void(Result<uint64_t>)> cb);

  // Campaign policy: scheduled sends (store/scheduled.h, store_schedule.cc).
  // cb runs once the rows are durable (a fully synced commit): number new.
  void schedule(std::vector<ScheduledSend> rows, std::function<void(Result<size_t>)> cb);
  // Claims up to `limit` rows due at or before now_ms for lease_ms.
  void claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit, std::function<void(Result<ClaimedSends>)> cb);
  // Claimed rows handed on (deleted) or given back; cb may be empty.
  void finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb);
  void release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb);
  // Rows of a key not being sent at now_ms: cancel deletes them (cb: their
  // recipients), list returns up to `limit`, earliest due first.
  void cancel_scheduled(std::string key, int64_t now_ms, std::function<void(Result<uint64_t>)> cb);
  void list_scheduled(std::string key, int64_t now_ms, uint32_t limit,
                      std::function<void(Result<std::vector<ScheduledSend>>)> cb);

  StoreStats stats() const;  // any thread, cheap (atomics)
  // Any thread: epoch ms since which commits fail (the database is out; the
  // store thread keeps retrying with backoff, nothing recorded is lost), or
  // 0 while they succeed. An idle store learns of an outage at its next write.
  int64_t failing_since_ms() const;
  // Memory of the suppression set divided by its entries (0 when empty).
  double suppression_bytes_per_entry() const;
  int producers() const { return static_cast<int>(rings_.size()); }
  // Schema version the file had when opened (0: created now).
  int schema_found() const { return schema_found_; }

 private:
  Store(std::unique_ptr<detail::Backend> db, const Clock& clock, obs::Logger log, const StoreOptions& opt);
  Result<void> load(int producers);
  Result<void> load_hash_key();
  void apply_remote(const detail::RemoteChange& c);  // store thread

  const Clock& clock_;
  obs::Logger log_;
  const StoreOptions opt_;
  int schema_found_ = 0;
  std::unique_ptr<detail::Counters> counters_;
  std::unique_ptr<detail::Backend> db_;
  HashKey hash_key_;  // set once by load(), before any other thread runs
  std::vector<std::unique_ptr<OutcomeRing>> rings_;
  std::unique_ptr<SuppressionSet> set_;
  std::function<void(uint64_t, int64_t)> remote_marketing_;
  std::unique_ptr<detail::Writer> writer_;  // last: stopped first
};

}  // namespace pushgw::store
