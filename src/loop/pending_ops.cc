#include "loop/pending_ops.h"

namespace pushgw::loop {

PendingOps::PendingOps(uv_loop_t* loop) : idle_(loop, [this] { check(); }) { idle_.unref(); }

PendingOps::Token PendingOps::hold() {
  count_.fetch_add(1, std::memory_order_seq_cst);
  return Token(this);
}

// seq_cst on both sides (release: count, then waiting_; when_idle: waiting_,
// then count): at least one of them sees the other's write, so a release that
// reaches zero is never missed by a waiter registered at the same moment.
// The doorbell rings only while someone waits: no syscall per operation.
void PendingOps::release() {
  if (count_.fetch_sub(1, std::memory_order_seq_cst) == 1 && waiting_.load(std::memory_order_seq_cst)) idle_.ring();
}

void PendingOps::when_idle(std::function<void()> fn) {
  on_idle_ = std::move(fn);
  keep_loop_alive(true);
  waiting_.store(true, std::memory_order_seq_cst);
  check();
}

void PendingOps::cancel_wait() {
  waiting_.store(false, std::memory_order_seq_cst);
  on_idle_ = nullptr;
  keep_loop_alive(false);
}

void PendingOps::check() {
  if (!waiting_.load(std::memory_order_seq_cst) || count_.load(std::memory_order_seq_cst) != 0) return;
  waiting_.store(false, std::memory_order_seq_cst);
  keep_loop_alive(false);
  auto fn = std::move(on_idle_);
  on_idle_ = nullptr;
  if (fn) fn();
}

void PendingOps::keep_loop_alive(bool on) {
  if (on == alive_) return;
  alive_ = on;
  if (on) idle_.ref();
  else idle_.unref();
}

}  // namespace pushgw::loop
