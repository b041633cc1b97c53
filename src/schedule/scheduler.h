// Scheduled sends on the main loop: recipients a request defers ("send_at",
// quiet hours) are stored as rows before the request is answered (keep());
// a timer claims them from the store when due and hands each to the Intake,
// which sends it like a socket request; the row is deleted once what it sent
// is durable.
//
// Timer: one loop::Timer, re-armed to the earliest row this process knows of
// and at least every second (rows another instance stored in a shared
// database, leases that ended). When it fires, the store claims the due rows
// (a lease, so no one else takes them); each row's line goes through
// parse_send() again with now = its due time, so quiet hours are checked
// anew (a send_at that lands in them is held again), an expired notification
// ends "expired" on the senders with its campaign, and what is sent is
// journaled in the spool like any accepted send. The row is deleted only
// once what it sent cannot be lost: its spool record is durable, or (no
// spool, or the spool write failed) every recipient has its outcome
// committed in the store. A crash before that leaves the row, which runs
// again when its lease ends (at least once).
// Due rows wait in the store, not in memory, while the senders are full (no
// claim then, and a claim's remaining rows are given back).
//
// Threading: the main loop thread. Store callbacks come back through the
// Inbox, each holding a `work` token until its loop-side code ran, so the
// drain waits for them (a claim in flight gives its rows back).
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "ingest/send.h"
#include "loop/inbox.h"
#include "loop/pending_ops.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "pushgw/result.h"
#include "schedule/intake.h"
#include "schedule/row_store.h"

namespace pushgw::schedule {

class Scheduler {
 public:
  struct Deps {
    uv_loop_t* loop = nullptr;
    RowStore* rows = nullptr;          // nullptr: no store (keep() fails "unavailable", nothing is claimed)
    const Clock* clock = nullptr;      // scheduling time; with test hooks the clock op "test_clock" moves
    loop::Inbox* inbox = nullptr;
    loop::PendingOps* work = nullptr;  // store operations in flight
    obs::Logger log;
  };
  static constexpr uint32_t kClaimBatch = 64;  // rows per claim; a full batch claims again at once

  explicit Scheduler(Deps deps);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Before start(): where due rows go.
  void set_intake(Intake* intake) { intake_ = intake; }
  // Claims what fell due while the daemon was down, then polls.
  void start();
  // Drain: no more claims; rows of a claim in flight are given back.
  void stop();
  // What "send_at", quiet hours and due times are decided against.
  int64_t now_ms() const { return d_.clock->now_ms(); }
  RowStore* rows() const { return d_.rows; }

  // A random parent for the rows of a new request.
  uint64_t new_parent() { return rng_(); }
  // Stores deferred recipients as rows whose ids derive from parent (so a
  // retried insert is a no-op); consumes their lines. done runs on the loop
  // once they are durable (or failed). Returns the row ids, in order.
  std::vector<int64_t> keep(std::vector<ingest::Deferred>& deferred, uint64_t parent, const std::string& campaign,
                            std::function<void(Result<void>)> done);
  // Claims what is due now (the clock was moved).
  void poll_now();
  // The claim timer is armed (a claim is not in flight, the store did not say
  // it has no scheduled sends, not stopped).
  bool polling() const { return timer_.active(); }

  // For the ops: a store callback whose result is handled on this loop,
  // counted as pending work until then.
  template <class T>
  std::function<void(T)> on_loop(std::function<void(T)> fn) {
    return d_.inbox->bind<T>(d_.work->hold(), std::move(fn));
  }

 private:
  void note_due(int64_t due_ms);
  void arm();
  void on_timer();
  void on_claimed(Result<store::ClaimedSends>& claimed);
  void run_rows(store::ClaimedSends& c);
  void run_due(const store::ScheduledSend& row);
  void finish_row(int64_t id);

  Deps d_;
  Intake* intake_ = nullptr;
  loop::Timer timer_;
  int64_t next_due_ms_ = 0;  // earliest known claimable row; 0 = none known
  bool claiming_ = false;    // a claim is on the store thread
  bool stopped_ = false;
  std::mt19937_64 rng_;      // parents of new rows' ids
  // Rows this process is sending, or has sent and is deleting: a claim that
  // returns one (its lease ran out while a slow provider held its
  // recipients, or the claim was answered before the delete) renews the
  // lease but does not send it again.
  std::unordered_set<int64_t> running_;
};

}  // namespace pushgw::schedule
