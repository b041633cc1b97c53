// Runs a fixed callback once on the next loop turn after schedule().
//
// Used to get off a call stack before acting (never complete a request inside
// submit(), never delete an object inside its own callback). Several
// schedule() calls before the turn give one callback. Backed by a uv_idle
// handle, so a scheduled tick also keeps the loop from blocking in poll.
#pragma once
#include <uv.h>

#include <functional>

#include "loop/handle_box.h"

namespace pushgw::loop {

class NextTick {
 public:
  NextTick(uv_loop_t* loop, std::function<void()> cb);
  ~NextTick() { close(); }
  NextTick(const NextTick&) = delete;
  NextTick& operator=(const NextTick&) = delete;

  void schedule();
  void cancel();
  bool scheduled() const { return box_ != nullptr && uv_is_active(box_->as_handle()) != 0; }
  void close(std::function<void()> on_closed = {}) { detail::close_box(box_, std::move(on_closed)); }
  bool closed() const { return box_ == nullptr; }

 private:
  detail::Box<uv_idle_t>* box_;
};

}  // namespace pushgw::loop
