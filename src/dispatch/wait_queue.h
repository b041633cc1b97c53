// The jobs waiting, unbuilt, in one pool's guard (OriginGuard::waiting()):
// Web Push jobs over their origin's share of the in-flight window, and
// APNs/FCM jobs over the pool's build-ahead bound (StreamBacklogs). First in,
// first out.
//
// Stored as runs: consecutive recipients of one batch that began to wait
// together (ingest hands a sender 256 of a batch's recipients at a time, and
// the drain defers them in that order) are one 32-byte entry, so a saturated
// pool's backlog costs ~0.1 byte per job instead of 24-48 (goal 5: RSS per
// queued recipient; with every job of a stalled pool here it was 138 B, now
// under the ring slot's 16 + the recipient's own bytes). A job that starts no
// run (a retry, a Web Push job of another batch) takes one entry.
//
// The runs sit in a ring that grows by doubling and keeps its storage while
// in use, so jobs passing through allocate nothing once it has held as many
// runs; emptied, it gives back storage past kKeep. Loop thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pushgw/job.h"

namespace pushgw::dispatch {

struct WaitingJob {
  SendJob job;
  // When it began to wait for its pool's streams (monotonic ns): a first
  // attempt taken from the ring (its stage latencies are counted); 0: any
  // other job.
  int64_t since_ns = 0;
};

class WaitQueue {
 public:
  static constexpr size_t kKeep = 4096;  // runs whose storage an empty queue keeps

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }  // jobs, not runs
  size_t runs() const { return runs_; }
  WaitingJob front() const { return job_of(ring_[head_], 0); }
  void push_back(const WaitingJob& w) {
    if (runs_ > 0 && extends(ring_[slot(runs_ - 1)], w)) {
      ++ring_[slot(runs_ - 1)].count;
    } else {
      if (runs_ == ring_.size()) grow();
      ring_[slot(runs_)] = Run{w.job, w.since_ns, 1};
      ++runs_;
    }
    ++size_;
    const Batch& b = *w.job.batch;
    if (b.expires_at_ms > 0 && b.expires_at_ms < first_expiry_ms_) first_expiry_ms_ = b.expires_at_ms;
    if (b.accepted_ms < first_accepted_ms_) first_accepted_ms_ = b.accepted_ms;
  }
  void pop_front() {
    Run& r = ring_[head_];
    ++r.first.idx;
    if (--r.count == 0) {
      head_ = (head_ + 1) & (ring_.size() - 1);
      --runs_;
    }
    if (--size_ == 0) reset();
  }
  // The newest job (UntrustedBacklog sheds from this end).
  WaitingJob back() const {
    const Run& r = ring_[slot(runs_ - 1)];
    return job_of(r, r.count - 1);
  }
  void pop_back() {
    if (--ring_[slot(runs_ - 1)].count == 0) --runs_;
    if (--size_ == 0) reset();
  }
  // Every job, oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < runs_; ++i) {
      const Run& r = ring_[slot(i)];
      for (uint32_t k = 0; k < r.count; ++k) f(job_of(r, k));
    }
  }
  void clear() {
    size_ = 0;
    reset();
  }
  // May a job that waits here have reached its expiry, or the end of its
  // retry window (accepted + max_retry_ms), by now_ms? False: certainly not,
  // so the housekeeping scan (PoolDirectory::scan) need not walk the queue.
  // Kept from the jobs pushed since the last forget_deadlines(): a job that
  // left makes the answer only more cautious.
  bool may_be_due(int64_t now_ms, int64_t max_retry_ms) const {
    return size_ > 0 && (now_ms >= first_expiry_ms_ || now_ms > first_accepted_ms_ + max_retry_ms);
  }
  // Before a scan that pushes back every job it keeps.
  void forget_deadlines() {
    first_expiry_ms_ = kNever;
    first_accepted_ms_ = kNever;
  }

 private:
  // count jobs: first, then the next recipients of its batch (idx + 1 ...),
  // all with first's attempt counters and since_ns.
  struct Run {
    SendJob first;
    int64_t since_ns = 0;
    uint32_t count = 0;
  };
  static_assert(sizeof(Run) == 32, "the memory bound in stream_backlog.h counts 32 bytes per run");

  static bool extends(const Run& r, const WaitingJob& w) {
    const SendJob& a = r.first;
    const SendJob& b = w.job;
    return a.batch == b.batch && a.idx + r.count == b.idx && a.attempt == b.attempt &&
           a.unprocessed == b.unprocessed && a.resent == b.resent && r.since_ns == w.since_ns &&
           r.count < UINT32_MAX;
  }
  static WaitingJob job_of(const Run& r, uint32_t k) {
    WaitingJob w{r.first, r.since_ns};
    w.job.idx += k;
    return w;
  }
  size_t slot(size_t i) const { return (head_ + i) & (ring_.size() - 1); }
  void grow() {
    std::vector<Run> next(ring_.empty() ? 16 : ring_.size() * 2);
    for (size_t i = 0; i < runs_; ++i) next[i] = ring_[slot(i)];
    ring_.swap(next);
    head_ = 0;
  }
  void reset() {
    head_ = 0;
    runs_ = 0;
    forget_deadlines();
    if (ring_.size() > kKeep) std::vector<Run>().swap(ring_);
  }

  static constexpr int64_t kNever = INT64_MAX / 4;  // far enough from overflow when max_retry_ms is added

  std::vector<Run> ring_;  // size 0 or a power of two
  size_t head_ = 0;
  size_t runs_ = 0;  // entries of ring_ in use
  size_t size_ = 0;  // jobs in them
  int64_t first_expiry_ms_ = kNever;    // the earliest expires_at_ms (> 0) pushed since forget_deadlines()
  int64_t first_accepted_ms_ = kNever;  // the earliest accepted_ms pushed since forget_deadlines()
};

}  // namespace pushgw::dispatch
