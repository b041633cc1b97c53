// The build-ahead bound of a sender's APNs/FCM pools, per pool: a pool may
// hold kBuildAhead requests without a stream (Pool::waiting(): built,
// submitted, waiting in its queue). A job for a pool at the bound, or for one
// whose earlier jobs still wait, is not built: it waits as a SendJob (no
// request, no InFlight record) in the pool's guard (OriginGuard::waiting(),
// where Web Push jobs over their origin's share wait too), and the sender
// goes on with its ring, so one pool that takes no request (a connection
// being made, a peer that allows no stream or never answers) holds up no
// other app's pool. When the pool's queue shrinks below the bound, its
// waiting jobs are built first, in order.
//
// What bounds them: every waiting job counts against the sender's share of
// [server] max_queued (Inbox::push, SenderStats::queued), so the backlogs of
// all pools of a sender hold at most that many jobs: one 32-byte run per
// 256 consecutive recipients of a batch as ingest hands them over, at worst
// one per job, at most twice that while a queue's storage doubles (WaitQueue);
// PoolDirectory::tick_guards() ends them at their expiry or retry window,
// and take_waiting() at a forced shutdown.
//
// Loop thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/circuit_breaker.h"
#include "pool/pool.h"

namespace pushgw::dispatch {

class StreamBacklogs {
 public:
  // Requests one APNs/FCM pool may hold without a stream. The jobs beyond
  // wait unbuilt and are built as streams free (after each I/O pass), so a
  // job is built just before a stream can take it: 1,024 here put up to a
  // batch's worth of builds between a job and its stream (gateway p99 at
  // 80k/s with 1,000-recipient batches: median 2.05 ms over 12 runs, against
  // 1.54 ms over 9 with 128, for ~100 more instructions per notification
  // (+0.4%: more, smaller drains) and the same closed-loop rate:
  // docs/performance.md, goal 4, stop 25). 128 still
  // refills the streams a read of responses frees before the next drain.
  static constexpr size_t kBuildAhead = 128;

  // True: the job waits (since_ns: WaitingJob::since_ns); false: build it now.
  bool defer(pool::Pool& pool, OriginGuard& guard, const SendJob& job, int64_t since_ns) {
    WaitQueue& q = guard.waiting();
    if (q.empty()) {
      if (pool.waiting() < kBuildAhead) return false;
      pools_.push_back(Entry{&pool, &guard});
    }
    q.push_back(WaitingJob{job, since_ns});
    return true;
  }
  // Some pool has jobs waiting (or had: housekeeping may have ended them).
  bool any() const { return !pools_.empty(); }
  // Each pool below the bound takes its waiting jobs, oldest first, up to
  // the bound: send(const WaitingJob&) builds one (never defers it again),
  // while room() (the sender's in-flight window and back-pressure) allows.
  template <class Room, class Send>
  void release(Room&& room, Send&& send) {
    for (size_t i = 0; i < pools_.size() && room();) {
      const Entry e = pools_[i];
      WaitQueue& q = e.guard->waiting();
      for (size_t free = free_of(*e.pool); free > 0 && !q.empty() && room(); free = free_of(*e.pool)) {
        for (; free > 0 && !q.empty() && room(); --free) {
          const WaitingJob w = q.front();
          q.pop_front();
          send(w);
        }
      }
      if (!q.empty()) {
        ++i;
        continue;
      }
      pools_[i] = pools_.back();
      pools_.pop_back();
    }
  }
  // Shutdown: the jobs were taken (PoolDirectory::take_waiting()).
  void forget() { pools_.clear(); }

 private:
  struct Entry {
    pool::Pool* pool;
    OriginGuard* guard;
  };
  static size_t free_of(const pool::Pool& p) {
    const size_t w = p.waiting();
    return w < kBuildAhead ? kBuildAhead - w : 0;
  }

  std::vector<Entry> pools_;  // APNs/FCM pools whose guard has jobs waiting
};

}  // namespace pushgw::dispatch
