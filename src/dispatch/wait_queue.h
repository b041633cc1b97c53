// The jobs waiting, unbuilt, in one pool's guard (OriginGuard::waiting()):
// Web Push jobs over their origin's share of the in-flight window, and
// APNs/FCM jobs over the pool's build-ahead bound (StreamBacklogs). First in,
// first out, over a ring that grows by doubling and keeps its storage while
// in use, so jobs passing through it allocate nothing once it has held as
// many (the build-ahead bound sends every job of a saturated pool through
// here); emptied, it gives back storage past kKeep. Loop thread only.
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
static_assert(sizeof(WaitingJob) == 24, "the memory bound in stream_backlog.h counts 24 bytes per waiting job");

class WaitQueue {
 public:
  static constexpr size_t kKeep = 4096;  // entries whose storage an empty queue keeps

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  const WaitingJob& front() const { return ring_[head_]; }
  void push_back(const WaitingJob& w) {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = w;
    ++size_;
    const Batch& b = *w.job.batch;
    if (b.expires_at_ms > 0 && b.expires_at_ms < first_expiry_ms_) first_expiry_ms_ = b.expires_at_ms;
    if (b.accepted_ms < first_accepted_ms_) first_accepted_ms_ = b.accepted_ms;
  }
  void pop_front() {
    head_ = (head_ + 1) & (ring_.size() - 1);
    if (--size_ == 0) reset();
  }
  // The newest job (UntrustedBacklog sheds from this end).
  const WaitingJob& back() const { return ring_[(head_ + size_ - 1) & (ring_.size() - 1)]; }
  void pop_back() {
    if (--size_ == 0) reset();
  }
  // Every job, oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < size_; ++i) f(ring_[(head_ + i) & (ring_.size() - 1)]);
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
  void grow() {
    std::vector<WaitingJob> next(ring_.empty() ? 16 : ring_.size() * 2);
    for (size_t i = 0; i < size_; ++i) next[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(next);
    head_ = 0;
  }
  void reset() {
    head_ = 0;
    forget_deadlines();
    if (ring_.size() > kKeep) std::vector<WaitingJob>().swap(ring_);
  }

  static constexpr int64_t kNever = INT64_MAX / 4;  // far enough from overflow when max_retry_ms is added

  std::vector<WaitingJob> ring_;  // size 0 or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
  int64_t first_expiry_ms_ = kNever;    // the earliest expires_at_ms (> 0) pushed since forget_deadlines()
  int64_t first_accepted_ms_ = kNever;  // the earliest accepted_ms pushed since forget_deadlines()
};

}  // namespace pushgw::dispatch
