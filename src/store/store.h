// Token store and feedback change-feed, on a database Backend (backend.h):
// embedded SQLite (WAL, the default) or a PostgreSQL database that several
// instances may share; each then follows the others' suppressions and
// marketing sends (Campaigns::on_remote_marketing_send) on its store thread. The engine
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
#include "store/campaigns.h"
#include "store/key_hash.h"
#include "store/schedules.h"
#include "store/tokens.h"
#include "store/types.h"

namespace pushgw::store {

class SuppressionSet;
class OutcomeRing;
namespace detail {
class Backend;
struct RemoteChange;
class Writer;
class EventRetention;
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
  // The same for a key from key(): a sender hashes the token once, checks,
  // and hands the key to record() in Outcome::key (the send counters are
  // kept by the same key, so the store thread does not hash it again).
  Check check(uint64_t key, int64_t registered_at_ms) const;

  // Any thread: the 64-bit key of (p, app, token) in the suppression set,
  // the marketing caps and the per-token send counters, keyed with this
  // installation's secret (key_hash.h).
  uint64_t key(Platform p, std::string_view app, std::string_view token) const;

  // done() runs on the store thread once every outcome recorded (by any
  // producer) before this call is committed and synced to stable storage:
  // verdicts, events, campaign counts. The per-token counters of sends are
  // summed in memory and written every StoreOptions::send_flush_ms (and at
  // stop); tokens().token() includes them at once (send_tally.h).
  void after_commit(std::function<void()> done);

  // The async requests: each runs on the store thread once every outcome
  // recorded before the call is committed (store/tokens.h, campaigns.h,
  // schedules.h, and the two below).
  Tokens& tokens() { return *tokens_; }
  Campaigns& campaigns() { return *campaigns_; }
  Schedules& schedules() { return *schedules_; }

  // Writes the per-token send counters summed in memory (they otherwise
  // reach the database every StoreOptions::send_flush_ms) once every outcome
  // recorded before the call is committed; cb(error) if that write failed
  // (the counters stay pending and are retried).
  void flush_sends(std::function<void(Result<void>)> cb);
  // Runs event retention to completion now; cb(number of events removed).
  // (It also runs by itself, a chunk at a time, between batches.)
  void prune(std::function<void(Result<uint64_t>)> cb);

  StoreStats stats() const;  // any thread, cheap (atomics)
  // Any thread: epoch ms since which commits fail (the database is out; the
  // store thread keeps retrying with backoff, nothing recorded is lost), or
  // 0 while they succeed. An idle store learns of an outage at its next write.
  int64_t failing_since_ms() const;
  int producers() const { return static_cast<int>(rings_.size()); }
  // Schema version the file had when opened (0: created now).
  int schema_found() const { return schema_found_; }

 private:
  Store(std::unique_ptr<detail::Backend> db, const Clock& clock, obs::Logger log, const StoreOptions& opt);
  Result<void> load(int producers);
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
  std::unique_ptr<detail::EventRetention> retention_;
  std::unique_ptr<detail::Writer> writer_;  // stopped first (by ~Store)
  std::unique_ptr<Tokens> tokens_;
  std::unique_ptr<Campaigns> campaigns_;
  std::unique_ptr<Schedules> schedules_;
};

}  // namespace pushgw::store
