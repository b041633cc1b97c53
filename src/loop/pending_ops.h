// Work in flight that must end before its owner may stop: a store read whose
// answer comes back to the loop, a spool commit a client waits for, a waited
// request. Each such operation holds a Token (RAII, move-only) from the moment
// it starts until its loop-side code has run; count() is the number of live
// tokens. A drain then waits with when_idle() instead of polling a list of
// counters: a new kind of async work needs no change to the drain.
//
// Threads: hold(), when_idle() and cancel_wait() on the loop thread. A Token
// may be moved to another thread and released there (the count is atomic):
// when that release makes the count zero while someone waits, an Async rings
// so the waiter still runs on the loop thread.
//
// Lifetime: every Token must be released before the PendingOps is destroyed.
// The loop stays alive while a waiter is registered (it is why the loop must
// keep turning), not because of tokens alone.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <utility>

#include "loop/async.h"

namespace pushgw::loop {

class PendingOps {
 public:
  class Token {
   public:
    Token() = default;
    Token(Token&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
    Token& operator=(Token&& o) noexcept {
      if (this != &o) {
        reset();
        owner_ = std::exchange(o.owner_, nullptr);
      }
      return *this;
    }
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;
    ~Token() { reset(); }

    // Ends this operation now (the destructor then does nothing).
    void reset() {
      if (owner_ != nullptr) std::exchange(owner_, nullptr)->release();
    }
    bool held() const { return owner_ != nullptr; }

   private:
    friend class PendingOps;
    explicit Token(PendingOps* owner) : owner_(owner) {}
    PendingOps* owner_ = nullptr;
  };

  explicit PendingOps(uv_loop_t* loop);
  PendingOps(const PendingOps&) = delete;
  PendingOps& operator=(const PendingOps&) = delete;

  // One more operation in flight until the token is released.
  Token hold();
  size_t count() const { return count_.load(std::memory_order_seq_cst); }
  // fn runs once on the loop thread when count() is zero: at once (inside
  // this call) when it is zero already. A later call replaces the waiter.
  void when_idle(std::function<void()> fn);
  // Forgets the waiter (a deadline won the race).
  void cancel_wait();

 private:
  void release();
  void check();
  void keep_loop_alive(bool on);

  std::atomic<size_t> count_{0};
  std::atomic<bool> waiting_{false};
  std::function<void()> on_idle_;  // loop thread
  bool alive_ = false;             // loop thread: idle_ is ref'd for a waiter
  Async idle_;
};

}  // namespace pushgw::loop
