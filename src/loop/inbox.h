// Results of other threads (the store thread, the spool writer) brought back
// to the loop thread: a Mailbox of tasks, each optionally carrying a
// PendingOps token that stays held until the task has run on the loop. So an
// operation counts as pending from the moment the loop starts it until its
// answer has been handled here, whichever thread it crossed on the way.
//
// bind() makes the callback an async API wants (Store::feedback, Spool's
// commit callback, ...): called once on the other thread, it posts the
// wrapped function with its arguments to the loop.
//
// Threads: post() and the functions bind() returns, any thread; bind(),
// unref(), close() and destruction, the loop thread. Owner rule (as for
// Mailbox): every thread that posts must have stopped before the Inbox is
// closed or destroyed; tasks still queued then are destroyed without running
// (their tokens are released).
#pragma once
#include <uv.h>

#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "loop/mailbox.h"
#include "loop/pending_ops.h"

namespace pushgw::loop {

class Inbox {
 public:
  explicit Inbox(uv_loop_t* loop);
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Any thread: fn runs on the loop thread; token is released after it ran.
  void post(std::function<void()> fn, PendingOps::Token token = {}) {
    box_.post(Task{std::move(token), std::move(fn)});
  }

  // Loop thread: a callback for another thread. Its first call posts
  // fn(args...) to the loop (arguments are moved, never copied); later calls
  // do nothing. token is held until fn has run on the loop, or released
  // where the callback is destroyed if it is never called.
  template <class... A>
  std::function<void(A...)> bind(PendingOps::Token token, std::type_identity_t<std::function<void(A...)>> fn) {
    struct Held {
      PendingOps::Token token;
      std::function<void(A...)> fn;
    };
    auto held = std::make_shared<Held>(Held{std::move(token), std::move(fn)});
    return [this, held](A... args) {
      if (!held->fn) return;
      auto saved = std::make_shared<std::tuple<std::decay_t<A>...>>(std::move(args)...);
      post([fn = std::move(held->fn), saved] { std::apply(fn, std::move(*saved)); }, std::move(held->token));
      held->fn = nullptr;
    };
  }

  // Lets the loop exit while the Inbox is open: it is closed by its owner's
  // destructor, after the threads that post to it have stopped.
  void unref() { box_.unref(); }
  void close(std::function<void()> on_closed = {}) { box_.close(std::move(on_closed)); }

 private:
  struct Task {
    PendingOps::Token token;
    std::function<void()> fn;
  };
  static void run(std::vector<Task>& batch);

  Mailbox<Task> box_;
};

}  // namespace pushgw::loop
