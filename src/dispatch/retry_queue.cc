#include "dispatch/retry_queue.h"

#include <algorithm>
#include <cstdint>

namespace pushgw::dispatch {

RetryQueue::RetryQueue(uv_loop_t* loop, const Clock& clock, RetryPolicy policy, std::function<double()> rand01,
                       std::function<void()> on_due)
    : clock_(clock),
      policy_(policy),
      rand01_(std::move(rand01)),
      on_due_(std::move(on_due)),
      timer_(loop, [this] { on_timer(); }) {}

bool RetryQueue::backoff(const SendJob& job, int64_t retry_after_ms, int64_t min_delay_ms, int64_t now_ms,
                         bool name_wait) {
  const Batch& b = *job.batch;
  if (b.once) return false;  // now or never: its one attempt was made
  RetryInput in;
  in.attempts_done = job.attempt + 1;
  in.now_ms = now_ms;
  in.first_try_ms = b.accepted_ms;
  in.expires_at_ms = b.expires_at_ms;
  in.retry_after_ms = retry_after_ms;
  in.min_delay_ms = min_delay_ms;
  const int64_t delay = next_retry_delay(policy_, in, rand01_);
  if (delay < 0) return false;
  SendJob next = job;
  ++next.attempt;
  push(now_ms + delay, next, name_wait);
  return true;
}

bool RetryQueue::resend_unprocessed(const SendJob& job, int64_t now_ms) {
  if (job.unprocessed >= kMaxUnprocessedResends || !within_window(*job.batch, now_ms)) return false;
  SendJob next = job;
  ++next.unprocessed;
  push(now_ms, next);
  return true;
}

bool RetryQueue::resend_free(const SendJob& job, int64_t now_ms) {
  if (job.resent >= kMaxFreeResends || !within_window(*job.batch, now_ms)) return false;
  SendJob next = job;
  ++next.resent;
  push(now_ms, next);
  return true;
}

bool RetryQueue::park(const SendJob& job, int64_t now_ms) {
  if (!within_window(*job.batch, now_ms)) return false;
  parked_.push_back(job);
  if (parked_.size() == 1) {
    parked_look_ms_ = now_ms + kParkLookMs;
    arm(parked_look_ms_);
  }
  return true;
}

void RetryQueue::unpark(int64_t now_ms) {
  for (const SendJob& job : parked_) heap_.push(Item{now_ms, job});
  parked_.clear();
}

bool RetryQueue::due(int64_t now_ms) {
  if (!parked_.empty() && now_ms >= parked_look_ms_) unpark(now_ms);
  return !heap_.empty() && heap_.top().due_ms <= now_ms;
}

bool RetryQueue::within_window(const Batch& b, int64_t at_ms) const {
  return at_ms <= b.accepted_ms + policy_.max_retry_ms && (b.expires_at_ms == 0 || at_ms < b.expires_at_ms);
}

bool RetryQueue::pop_due(int64_t now_ms, SendJob* job) {
  if (heap_.empty() || heap_.top().due_ms > now_ms) return false;
  *job = heap_.top().job;
  if (heap_.top().name_wait) --name_waits_;
  heap_.pop();
  return true;
}

void RetryQueue::push(int64_t due_ms, const SendJob& job, bool name_wait) {
  heap_.push(Item{due_ms, job, name_wait});
  if (name_wait) ++name_waits_;
  arm(due_ms);
}

void RetryQueue::arm(int64_t due_ms) {
  if (timer_.active() && timer_due_ <= due_ms) return;
  const int64_t now = clock_.now_ms();
  start(now, due_ms - now);
}

int64_t RetryQueue::earliest() const {
  int64_t at = heap_.empty() ? INT64_MAX : heap_.top().due_ms;
  if (!parked_.empty()) at = std::min(at, parked_look_ms_);
  return at;
}

void RetryQueue::rearm(int64_t now_ms, bool blocked) {
  if (empty()) return;
  start(now_ms, std::max<int64_t>(blocked ? kBlockedMs : 0, earliest() - now_ms));
}

void RetryQueue::start(int64_t now_ms, int64_t wait_ms) {
  wait_ms = std::max<int64_t>(0, wait_ms);
  timer_due_ = now_ms + wait_ms;
  timer_.start(static_cast<uint64_t>(wait_ms));
}

void RetryQueue::on_timer() {
  on_due_();
  // Nothing was due after all (the clock is not the loop's), or the sender
  // did not look: wake again for the earliest.
  if (!empty() && !timer_.active()) start(clock_.now_ms(), earliest() - clock_.now_ms());
}

std::vector<SendJob> RetryQueue::take_all() {
  std::vector<SendJob> out;
  out.reserve(size());
  while (!heap_.empty()) {
    out.push_back(heap_.top().job);
    heap_.pop();
  }
  name_waits_ = 0;
  out.insert(out.end(), parked_.begin(), parked_.end());
  parked_.clear();
  return out;
}

}  // namespace pushgw::dispatch
