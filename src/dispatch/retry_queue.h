// Jobs waiting to be sent again, by due time (a heap), with the one timer
// that wakes the sender when the earliest is due. It also decides whether a
// job may wait at all: each kind of wait has its own rule.
//
//  - backoff(): a retry after a transient failure uses up an attempt; the
//    delay is RetryPolicy's (jittered exponential, raised by Retry-After or
//    a provider floor), refused past max_attempts, the retry window or expiry,
//    and always for a job that has one attempt only (Batch::once);
//  - resend_unprocessed(): the peer provably never processed the request
//    (REFUSED_STREAM, above a GOAWAY's last-stream-id): resend at once
//    without using up an attempt, within the window and expiry, at most
//    kMaxUnprocessedResends times (a peer that refuses forever cannot loop us);
//  - resend_free(): the failure says nothing about the notification (its
//    connection stopped answering and was found dead by PING, the credential
//    it carried was replaced): resend at once without using up an attempt,
//    within the window and expiry, at most kMaxFreeResends times (a peer
//    that stalls every connection ends in the attempts path);
//  - park(): no credential yet (FCM access token being fetched): wait
//    without using up an attempt, within the window and expiry, until
//    unpark() (a credential arrived) or at most kParkLookMs. Parked jobs are
//    kept apart from the heap and looked at together: while the token
//    endpoint is down for minutes, each is looked at once a second, not
//    ten times (a full share of parked jobs looked at every 100 ms kept a
//    sender thread busy);
//  - release(): due now (jobs held by a breaker that closed).
//
// The sender pops due jobs itself (pop_due) whenever it sends, so the timer
// only has to wake an idle loop. Loop thread only.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "dispatch/retry_policy.h"
#include "loop/timer.h"
#include "pushgw/clock.h"
#include "pushgw/job.h"

namespace pushgw::dispatch {

class RetryQueue {
 public:
  static constexpr uint8_t kMaxUnprocessedResends = 64;
  static constexpr uint8_t kMaxFreeResends = 3;
  static constexpr int64_t kParkLookMs = 1000;  // parked jobs are looked at again at least this often
  static constexpr int64_t kBlockedMs = 10;  // due but the sender could not send: look again this soon

  // on_due runs on the loop thread when the earliest job may be due.
  RetryQueue(uv_loop_t* loop, const Clock& clock, RetryPolicy policy, std::function<double()> rand01,
             std::function<void()> on_due);

  // Each returns false when the job may not wait (the caller ends it).
  // name_wait: the job waits for a Web Push origin's name (counted in
  // name_waits() until it is due again: UntrustedBacklog's rule 3).
  bool backoff(const SendJob& job, int64_t retry_after_ms, int64_t min_delay_ms, int64_t now_ms,
               bool name_wait = false);
  bool resend_unprocessed(const SendJob& job, int64_t now_ms);
  bool resend_free(const SendJob& job, int64_t now_ms);
  bool park(const SendJob& job, int64_t now_ms);
  void release(const SendJob& job, int64_t now_ms) { push(now_ms, job); }
  // A credential arrived: every parked job is due now.
  void unpark(int64_t now_ms);

  // A parked job counts as due once kParkLookMs have passed since parking.
  bool due(int64_t now_ms);
  // The earliest job if due; false otherwise.
  bool pop_due(int64_t now_ms, SendJob* job);
  // After a pass that stopped popping: wake again when the earliest is due,
  // or in kBlockedMs if the sender was blocked (in-flight window, back-pressure).
  void rearm(int64_t now_ms, bool blocked);
  // Shutdown: every job still waiting, earliest first.
  std::vector<SendJob> take_all();
  bool empty() const { return heap_.empty() && parked_.empty(); }
  size_t size() const { return heap_.size() + parked_.size(); }
  size_t parked() const { return parked_.size(); }
  size_t name_waits() const { return name_waits_; }
  void stop() { timer_.stop(); }
  void close() { timer_.close(); }

 private:
  struct Item {
    int64_t due_ms;
    SendJob job;
    bool name_wait = false;
    bool operator>(const Item& o) const { return due_ms > o.due_ms; }
  };
  bool within_window(const Batch& b, int64_t at_ms) const;
  void push(int64_t due_ms, const SendJob& job, bool name_wait = false);
  void arm(int64_t due_ms);
  // The earliest time anything is due (heap top or the parked look); INT64_MAX when empty.
  int64_t earliest() const;
  void start(int64_t now_ms, int64_t wait_ms);
  void on_timer();

  const Clock& clock_;
  const RetryPolicy policy_;
  std::function<double()> rand01_;
  std::function<void()> on_due_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap_;
  std::vector<SendJob> parked_;  // waiting for a credential, in parking order
  int64_t parked_look_ms_ = 0;   // when the parked jobs are looked at without unpark()
  loop::Timer timer_;
  int64_t timer_due_ = 0;  // clock time the armed timer is for
  size_t name_waits_ = 0;  // items with name_wait
};

}  // namespace pushgw::dispatch
