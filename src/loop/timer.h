// One-shot or repeating timer on a libuv loop.
//
// Owner: whoever holds the Timer; the uv handle's memory lives until libuv's
// close callback (see handle_box.h), so the Timer may be destroyed anywhere,
// even inside its own callback. The callback never fires after close() or
// destruction. Loop thread only.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>

#include "loop/handle_box.h"

namespace pushgw::loop {

class Timer {
 public:
  Timer(uv_loop_t* loop, std::function<void()> cb);
  ~Timer() { close(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms: first run after timeout_ms, then every repeat_ms (0 = once).
  // No-op once closed.
  void start(uint64_t timeout_ms, uint64_t repeat_ms = 0);
  void stop();
  // Lets the loop exit while the timer is armed (uv_unref): a periodic check
  // that must never be the reason the process keeps running.
  void unref() {
    if (box_ != nullptr) uv_unref(box_->as_handle());
  }
  bool active() const;
  // Milliseconds until the next run; UINT64_MAX when not armed.
  uint64_t due_in() const;
  // Starts closing; on_closed runs once the handle memory is released.
  void close(std::function<void()> on_closed = {}) { detail::close_box(box_, std::move(on_closed)); }
  bool closed() const { return box_ == nullptr; }

 private:
  detail::Box<uv_timer_t>* box_;
};

}  // namespace pushgw::loop
