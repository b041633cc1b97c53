#include "store/writer.h"

#include <algorithm>

#include "base/sched_slice.h"
#include "base/thread_name.h"

namespace pushgw::store::detail {

namespace {
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kStopAttempts = 3;
constexpr size_t kMinPass = 256;

// Is everything before the positions `at` (one per ring) within `pos`?
bool covered(const std::vector<uint64_t>& at, const std::vector<uint64_t>& pos) {
  for (size_t i = 0; i < at.size(); ++i)
    if (pos[i] < at[i]) return false;
  return true;
}

}  // namespace

Writer::Writer(Backend& db, Rings& rings, SuppressionSet& set, Counters& counters, EventRetention& retention,
               const Clock& clock, obs::Logger log, const StoreOptions& opt, Backend::RemoteFn on_remote,
               const HashKey& hash_key)
    : db_(db),
      rings_(rings),
      set_(set),
      counters_(counters),
      retention_(retention),
      clock_(clock),
      log_(std::move(log)),
      opt_(opt),
      on_remote_(std::move(on_remote)),
      // Polling the rings (senders never signal: no syscall on their path)
      // at a tenth of the commit interval keeps the interval bound.
      poll_(std::max(1, opt.commit_interval_ms / 10)),
      applied_(rings.size(), 0),
      committed_(rings.size(), 0),
      limit_(rings.size(), 0),
      durable_(rings.size(), 0),
      arena_end_(rings.size(), 0),
      tallied_(rings.size(), 0),
      sends_(opt.send_tally_tokens, opt.send_log_tokens, opt.send_log, hash_key),
      outage_(counters, clock) {}

Writer::~Writer() { stop(); }

void Writer::start() {
  std::lock_guard<std::mutex> g(mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] {
    name_this_thread("pgw-store");
    request_batch_scheduling();  // commits and fsyncs: never ahead of the ingest and sender threads
    run();
  });
}

void Writer::stop() {
  bool inline_run;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stop_ && !thread_.joinable()) return;  // already stopped
    stop_ = true;
    inline_run = !started_;
    started_ = true;
  }
  cv_.notify_one();
  if (inline_run) {
    run();
  } else {
    thread_.join();
  }
}

void Writer::enqueue(Pending p, bool waiter) {
  {
    std::lock_guard<std::mutex> g(mu_);
    // Snapshot under the lock: queue order then matches snapshot order, so
    // the store thread can serve each queue from its front.
    p.at.resize(rings_.size());
    for (size_t i = 0; i < rings_.size(); ++i) p.at[i] = rings_[i]->produced();
    (waiter ? incoming_waiters_ : incoming_ops_).push_back(std::move(p));
  }
  cv_.notify_one();
}

void Writer::after_commit(std::function<void()> done) { enqueue(Pending{{}, std::move(done), {}}, true); }

void Writer::submit(Op op) { enqueue(Pending{{}, {}, std::move(op)}, false); }

void Writer::submit_durable(Op op) { enqueue(Pending{{}, {}, std::move(op), true}, false); }

bool Writer::take_incoming() {
  std::lock_guard<std::mutex> g(mu_);
  // Drain only up to here this pass: a request queued later has a snapshot at
  // or beyond these positions, so no outcome recorded after a forget() or a
  // read can be applied before it (see drain()).
  for (size_t i = 0; i < rings_.size(); ++i) limit_[i] = rings_[i]->produced();
  for (auto& p : incoming_waiters_) waiters_.push_back(std::move(p));
  for (auto& p : incoming_ops_) ops_.push_back(std::move(p));
  incoming_waiters_.clear();
  incoming_ops_.clear();
  return stop_;
}

void Writer::run() {
  for (;;) {
    const bool stopping = take_incoming();
    stopping_ = stopping;
    set_.maintain();
    size_t n = outage_.blocked(steady_clock::now()) ? 0 : drain();
    if (n > 0) last_outcome_ = steady_clock::now();
    if (txn_count_ > 0 && should_commit(stopping)) commit();
    serve();
    if (!txn_open_) maybe_flush_sends();
    if (!txn_open_) retention_.maybe_prune(db_);
    if (!txn_open_ && !stopping) maybe_follow();
    if (stopping && (finished() || stop_failures_ >= kStopAttempts)) break;
    // Sends cost this thread next to nothing now (send_tally.h), so a pass
    // that found only a few outcomes waits for more instead of spinning: each
    // pass takes the lock, reads clocks and releases ring slots (cache lines
    // the senders read). Requests still wake it at once; the rings hold far
    // more than a poll interval of outcomes.
    if (n < kMinPass) idle_wait();
  }
  if (txn_open_) db_.rollback();
  uint64_t lost = 0;
  for (size_t i = 0; i < rings_.size(); ++i) lost += rings_[i]->produced() - committed_[i];
  if (lost > 0) PGW_LOG(log_, Error, "store closed with %llu outcomes not committed", static_cast<unsigned long long>(lost));
  if (!sends_.empty())
    PGW_LOG(log_, Error, "store closed with the send counters of %zu tokens not written", sends_.tokens());
  // Requests that could not be served are dropped without a call.
  waiters_.clear();
  ops_.clear();
}

size_t Writer::drain() {
  size_t total = 0;
  const size_t nrings = rings_.size();
  for (size_t k = 0; k < nrings && txn_count_ < opt_.batch_max; ++k) {
    const size_t i = (next_ring_ + k) % nrings;  // rotate the start: no ring waits behind a busy one
    OutcomeRing& ring = *rings_[i];
    // An op (forget, read) runs exactly at its snapshot: nothing recorded
    // after it may be applied first (a verdict recorded after forget() must
    // survive it, as it does in the suppression set).
    const uint64_t end = ops_.empty() ? limit_[i] : std::min(limit_[i], ops_.front().at[i]);
    while (applied_[i] < end && txn_count_ < opt_.batch_max) {
      if (!apply_one(i, ring.read(applied_[i]))) return total;
      ++applied_[i];
      ++txn_count_;
      ++total;
    }
  }
  next_ring_ = (next_ring_ + 1) % nrings;
  return total;
}

bool Writer::open_txn() {
  if (txn_open_) return true;
  // Sync fully when someone waits for durability: saves a separate barrier.
  txn_full_ = !waiters_.empty() || stopping_;
  if (auto r = db_.begin(txn_full_); !r) {
    abort_txn(r.error());
    return false;
  }
  txn_open_ = true;
  return true;
}

bool Writer::apply_one(size_t ring, const RecordView& v) {
  if (txn_count_ == 0) txn_started_ = steady_clock::now();
  if (SendTally::counts(v.kind)) {
    // A replay after a failed commit finds this send in the tally already.
    if (applied_[ring] >= tallied_[ring]) {
      if (sends_.active_empty()) flush_due_ = steady_clock::now() + milliseconds(opt_.send_flush_ms);
      sends_.add(v);
      tallied_[ring] = applied_[ring] + 1;
    }
    if (!v.campaign.empty()) {
      if (!open_txn()) return false;
      if (auto r = db_.count_campaign(v); !r) {
        abort_txn(r.error());
        return false;
      }
    }
  } else {
    if (!open_txn()) return false;
    if (auto r = db_.apply(v, delta_); !r) {
      abort_txn(r.error());
      return false;
    }
  }
  if (v.arena_end != 0) arena_end_[ring] = v.arena_end;
  return true;
}

bool Writer::should_commit(bool stopping) const {
  // Only sends without campaigns: nothing to write, free their ring slots now.
  if (!txn_open_ || stopping || txn_count_ >= opt_.batch_max) return true;
  if (steady_clock::now() - txn_started_ >= milliseconds(opt_.commit_interval_ms) - poll_) return true;
  // Someone waits for exactly what this transaction holds: commit now.
  if (!waiters_.empty() && covered(waiters_.front().at, applied_)) return true;
  if (!ops_.empty() && covered(ops_.front().at, applied_)) return true;
  return false;
}

void Writer::commit() {
  const bool wrote = txn_open_;
  if (wrote) {
    if (auto r = db_.commit(delta_); !r) {
      abort_txn(r.error());
      return;
    }
  }
  // A batch that wrote nothing is as durable as everything before it.
  const bool was_durable = !wrote && durable_ == committed_;
  for (size_t i = 0; i < rings_.size(); ++i) {
    rings_[i]->release(applied_[i], arena_end_[i]);
    committed_[i] = applied_[i];
    arena_end_[i] = 0;
  }
  if ((wrote && txn_full_) || was_durable) durable_ = committed_;
  counters_.apply(delta_);
  counters_.committed.fetch_add(txn_count_, std::memory_order_relaxed);
  if (wrote) counters_.transactions.fetch_add(1, std::memory_order_relaxed);
  delta_ = TxnDelta{};
  txn_open_ = false;
  txn_count_ = 0;
  outage_.ended();
}

void Writer::abort_txn(const Error& e) {
  db_.rollback();
  // Replay from the last commit: the ring still holds every outcome since then.
  applied_ = committed_;
  std::fill(arena_end_.begin(), arena_end_.end(), 0);
  delta_ = TxnDelta{};
  txn_open_ = false;
  txn_count_ = 0;
  const milliseconds backoff = outage_.failed();
  if (stopping_) ++stop_failures_;
  PGW_LOG(log_, Error, "store write failed (%s: %s); retrying in %lld ms", e.code.c_str(), e.message.c_str(),
          static_cast<long long>(backoff.count()));
}

void Writer::serve() {
  if (txn_open_) return;
  bool need_barrier = false;
  for (const Pending& w : waiters_) {
    if (!covered(w.at, committed_)) break;
    if (!covered(w.at, durable_)) need_barrier = true;
  }
  if (need_barrier && !outage_.blocked(steady_clock::now())) {
    if (auto r = db_.barrier(clock_.now_ms()); r) {
      durable_ = committed_;
      counters_.barriers.fetch_add(1, std::memory_order_relaxed);
      outage_.answered();
    } else {
      abort_txn(r.error());
    }
  }
  while (!waiters_.empty() && covered(waiters_.front().at, durable_)) {
    auto done = std::move(waiters_.front().done);
    waiters_.pop_front();
    if (done) done();
  }
  while (!ops_.empty() && covered(ops_.front().at, committed_)) {
    if (ops_.front().durable && !make_durable()) break;
    auto op = std::move(ops_.front().op);
    ops_.pop_front();
    if (op) op(db_);
  }
}

// Between data transactions: the summed send counters, in transactions of at
// most batch_max key-ordered rows (fully synced when stopping, like the last
// data commit). One chunk per pass of the loop, so the rings are drained in
// between.
// Otherwise, with a send log, one entry of it into the token rows when the
// store has been idle a while or the log holds too many tokens (send_log.h);
// never while stopping: the log keeps the counts.
void Writer::maybe_flush_sends() {
  SendLog& log = sends_.log();
  counters_.pending_send_tokens.store(sends_.tokens(), std::memory_order_relaxed);
  counters_.send_log_tokens.store(log.tokens(), std::memory_order_relaxed);
  if (txn_count_ > 0) return;
  const auto now = steady_clock::now();
  if (outage_.blocked(now)) return;
  if (!sends_.flushing()) {
    if (sends_.active_empty() || (!stopping_ && !sends_.active_full() && now < flush_due_)) {
      if (stopping_ || !log.should_compact(now - last_outcome_ >= milliseconds(opt_.send_log_idle_ms))) return;
      TxnDelta d;
      if (auto r = log.compact_one(db_, d, log_); !r) {
        abort_txn(r.error());
        return;
      }
      counters_.apply(d);
      counters_.send_log_tokens.store(log.tokens(), std::memory_order_relaxed);
      outage_.ended();
      return;
    }
    sends_.begin_flush(!log.appends());  // the log sorts an entry when it compacts it
  }
  (void)write_chunk();
}

// Up to batch_max key-ordered rows of the flush in progress, one transaction.
Result<void> Writer::write_chunk() {
  const std::vector<SendDelta>& rows = sends_.next_chunk(opt_.batch_max);
  TxnDelta d;
  if (!rows.empty()) {
    txn_full_ = stopping_;
    Result<void> r = db_.begin(txn_full_);
    SendLog& log = sends_.log();
    if (r) {
      txn_open_ = true;
      r = log.appends() ? log.append(rows) : db_.apply_sends(rows, d);
    }
    if (r) r = db_.commit(d);
    if (!r) {
      abort_txn(r.error());
      return r;
    }
    txn_open_ = false;
    if (log.appends()) log.appended(rows);
  }
  sends_.chunk_written();
  counters_.apply(d);
  if (!sends_.flushing()) counters_.send_flushes.fetch_add(1, std::memory_order_relaxed);
  counters_.pending_send_tokens.store(sends_.tokens(), std::memory_order_relaxed);
  if (!rows.empty()) outage_.ended();  // the database takes writes again
  return ok();
}

Result<void> Writer::flush_sends() {
  if (txn_open_) return make_error("store_write_failed", "send flush inside a transaction");
  // The snapshot being written (if any), then what was added since.
  for (int round = 0; round < 2; ++round) {
    if (!sends_.flushing()) {
      if (sends_.active_empty()) break;
      sends_.begin_flush(!sends_.log().appends());
    }
    while (sends_.flushing())
      if (auto r = write_chunk(); !r) return r;
  }
  // Then the log into the rows: "written" means in the token rows here.
  for (;;) {
    TxnDelta d;
    auto r = sends_.log().compact_one(db_, d, log_);
    if (!r) {
      abort_txn(r.error());
      return r.error();
    }
    counters_.apply(d);
    if (!*r) break;
  }
  counters_.send_log_tokens.store(sends_.log().tokens(), std::memory_order_relaxed);
  return ok();
}

// Before a read of the change-feed: everything committed is synced, so a
// reader never sees an event a power loss (SQLite synchronous=NORMAL) or a
// database crash (PostgreSQL synchronous_commit=off) could take back and
// number again. One barrier covers every read waiting behind it.
bool Writer::make_durable() {
  if (durable_ == committed_ && !db_.shared()) return true;
  if (outage_.blocked(steady_clock::now())) return false;
  if (auto r = db_.barrier(clock_.now_ms()); !r) {
    abort_txn(r.error());
    return false;
  }
  durable_ = committed_;
  counters_.barriers.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Writer::maybe_follow() {
  const auto now = steady_clock::now();
  if (now < next_follow_) return;
  auto r = db_.follow(on_remote_);
  // A database that is down is reported by the writes too: retry slower.
  next_follow_ = now + (r ? milliseconds(opt_.follow_interval_ms) : WriteOutage::kMaxBackoff / 5);
  if (!r) PGW_LOG(log_, Warn, "reading other instances' changes failed: %s", r.error().message.c_str());
}

void Writer::idle_wait() {
  std::unique_lock<std::mutex> lk(mu_);
  if (outage_.blocked(steady_clock::now())) {  // backing off after a failed write, even while stopping
    cv_.wait_until(lk, outage_.blocked_until());
    return;
  }
  if (stop_ || !incoming_waiters_.empty() || !incoming_ops_.empty()) return;
  cv_.wait_for(lk, poll_);
}

bool Writer::finished() const {
  if (txn_open_ || txn_count_ > 0 || !waiters_.empty() || !ops_.empty() || !sends_.empty()) return false;
  for (size_t i = 0; i < rings_.size(); ++i)
    if (rings_[i]->produced() != committed_[i]) return false;
  return true;
}

}  // namespace pushgw::store::detail
