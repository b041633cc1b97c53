// A cross-thread mailbox: any thread posts items, the loop thread receives
// them in batches (mutex + vector + Async doorbell, drained to empty).
//
// Why a batch callback: uv_async_send coalesces, so one wake-up may stand for
// many posts; the receiver gets every item posted before the wake-up, in post
// order, and posts made while it runs arrive in a following batch of the same
// wake-up. The lock is held only to swap vectors, never while the callback
// runs, so the callback may post to this mailbox again.
//
// Owner rule (as for Async): every thread that posts must have stopped before
// the Mailbox is closed or destroyed. Items still queued then are destroyed
// undelivered. Loop thread: construction, close, destruction.
#pragma once
#include <uv.h>

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "loop/async.h"

namespace pushgw::loop {

template <class T>
class Mailbox {
 public:
  using Receiver = std::function<void(std::vector<T>& batch)>;

  Mailbox(uv_loop_t* loop, Receiver receive)
      : receive_(std::move(receive)), async_(loop, [this] { deliver(); }) {}
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Any thread.
  void post(T item) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      queue_.push_back(std::move(item));
    }
    async_.ring();
  }
  // Lets the loop exit while the mailbox is open (see Async::unref).
  void unref() { async_.unref(); }
  void close(std::function<void()> on_closed = {}) { async_.close(std::move(on_closed)); }
  bool closed() const { return async_.closed(); }

  // Loop thread: receive everything posted so far now, without waiting for
  // the doorbell; for a receiver that learned through another channel (an
  // SPSC ring, say) that a post happened before. The doorbell's own callback
  // then finds nothing new, or only later posts. Not from inside the receiver.
  void deliver() {
    for (;;) {
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (queue_.empty()) return;
        batch_.swap(queue_);
      }
      receive_(batch_);
      batch_.clear();
    }
  }

 private:
  Receiver receive_;
  std::mutex mu_;
  std::vector<T> queue_;  // guarded by mu_
  std::vector<T> batch_;  // loop thread only; keeps its capacity between wake-ups
  Async async_;           // last: closed (and its callback disarmed) first
};

// The common case: closures run on the loop thread.
using TaskMailbox = Mailbox<std::function<void()>>;

inline void run_all(std::vector<std::function<void()>>& tasks) {
  for (auto& t : tasks) t();
}

}  // namespace pushgw::loop
