// The store thread: drains the outcome rings into batched transactions
// (group commit), runs queued reads/forgets, fires after_commit callbacks once
// their outcomes are durable, prunes old events between batches, and (on a
// database shared by several instances) follows the others' changes.
//
// Positions: every request (after_commit, read, forget) carries a snapshot of
// each ring's producer position taken when it was made. A read or forget runs
// once everything before its snapshot is committed (read-your-writes, and a
// forget cannot be undone by an older verdict still in a ring); a callback of
// after_commit fires once it is also durable (synchronous=FULL commit or a
// barrier). Ring slots are freed only after their commit succeeded: a failed
// commit is rolled back and replayed later, and a full ring pushes back on the
// senders instead of losing verdicts.
//
// A failed write starts an outage (outage.h): the thread backs off and
// retries; event retention (retention.h) runs between batches.
//
// Sends (Sent/Delivered/Failed) only add to the in-memory tally (and to
// their campaign inside the transaction); the tally is written in chunks of
// key-ordered rows, a transaction each, every send_flush_ms, when full, and
// at stop (send_tally.h, pending_sends.h); with SQLite the chunks are
// appended to the send log, whose entries reach the token rows when the store
// is quiet (send_log.h). A
// batch of sends without campaigns opens no database transaction at all. A
// replay after a failed commit skips what the tally already holds
// (tallied_), so nothing counts twice.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "store/outage.h"
#include "store/outcome_ring.h"
#include "store/pending_sends.h"
#include "store/retention.h"
#include "store/suppression.h"
#include "store/backend.h"
#include "store/types.h"

namespace pushgw::store::detail {

struct Counters {
  std::atomic<uint64_t> tokens{0}, invalid{0}, unsubscribed{0}, events{0};
  std::atomic<uint64_t> committed{0}, transactions{0}, barriers{0}, dropped{0}, write_errors{0}, pruned{0};
  std::atomic<uint64_t> send_flushes{0}, pending_send_tokens{0}, send_log_tokens{0};
  // Epoch ms of the first failed commit since the last one that succeeded:
  // the database is out (0 = commits go through).
  std::atomic<int64_t> failing_since_ms{0};
  void add(std::atomic<uint64_t>& c, int64_t d) {
    c.fetch_add(static_cast<uint64_t>(d), std::memory_order_relaxed);  // wraps correctly for d < 0
  }
  void apply(const TxnDelta& d) {
    add(tokens, d.tokens);
    add(invalid, d.invalid);
    add(unsubscribed, d.unsubscribed);
    add(events, d.events);
  }
};

class Writer {
 public:
  using Op = std::function<void(Backend&)>;
  using Rings = std::vector<std::unique_ptr<OutcomeRing>>;

  // on_remote: what to do with another instance's change (Backend::follow),
  // called on the store thread between transactions. retention runs there
  // between batches too. hash_key: the store's (Store::key), so the send
  // counters take a record's Outcome::key as it comes.
  Writer(Backend& db, Rings& rings, SuppressionSet& set, Counters& counters, EventRetention& retention,
         const Clock& clock, obs::Logger log, const StoreOptions& opt, Backend::RemoteFn on_remote,
         const HashKey& hash_key);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void start();
  // Commits everything recorded so far, runs queued work, and returns when
  // the thread has ended (runs the same loop inline if start() never ran).
  void stop();

  // Any thread. Callbacks run on the store thread and must not throw.
  void after_commit(std::function<void()> done);
  void submit(Op op);
  // An op that must see only durable data (the feedback change-feed): it
  // runs after a barrier when anything it could read may not be synced yet
  // (always on a database other instances share).
  void submit_durable(Op op);

  // Store thread only (the ops submitted here): pending send counters.
  PendingSends& sends() { return sends_; }
  // Store thread, outside a data transaction: writes every pending send now,
  // into the token rows (the send log too).
  Result<void> flush_sends();

 private:
  struct Pending {
    std::vector<uint64_t> at;  // producer positions when the request was made
    std::function<void()> done;
    Op op;
    bool durable = false;
  };
  using SteadyTime = std::chrono::steady_clock::time_point;

  void run();
  bool take_incoming();
  size_t drain();
  bool apply_one(size_t ring, const RecordView& v);
  bool open_txn();
  bool should_commit(bool stopping) const;
  void commit();
  void abort_txn(const Error& e);
  void serve();
  void maybe_flush_sends();
  Result<void> write_chunk();
  bool make_durable();
  void maybe_follow();
  void idle_wait();
  bool finished() const;
  void enqueue(Pending p, bool waiter);

  Backend& db_;
  Rings& rings_;
  SuppressionSet& set_;
  Counters& counters_;
  EventRetention& retention_;
  const Clock& clock_;
  obs::Logger log_;
  const StoreOptions opt_;
  const Backend::RemoteFn on_remote_;
  const std::chrono::milliseconds poll_;

  // Incoming requests (any thread) under mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> incoming_waiters_, incoming_ops_;
  bool stop_ = false;
  std::thread thread_;
  bool started_ = false;

  // Store-thread state.
  std::deque<Pending> waiters_, ops_;
  std::vector<uint64_t> applied_, committed_, limit_, durable_, arena_end_;
  std::vector<uint64_t> tallied_;  // per ring: outcomes before this are in tally_
  PendingSends sends_;
  SteadyTime flush_due_{};
  SteadyTime last_outcome_{};  // the last pass that drained outcomes (send log compaction waits for quiet)
  bool txn_open_ = false, txn_full_ = false;
  uint32_t txn_count_ = 0;
  SteadyTime txn_started_{};
  TxnDelta delta_;
  size_t next_ring_ = 0;
  WriteOutage outage_;
  bool stopping_ = false;
  int stop_failures_ = 0;
  SteadyTime next_follow_{};
};

}  // namespace pushgw::store::detail
