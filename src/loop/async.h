// Cross-thread doorbell (uv_async_t).
//
// ring() may be called from any thread and coalesces: several rings before the
// loop wakes give ONE callback, so the callback must drain its queue to empty.
// Owner rule: every thread that rings must have stopped ringing before the
// Async is closed or destroyed (loop thread).
#pragma once
#include <uv.h>

#include <functional>

#include "loop/handle_box.h"

namespace pushgw::loop {

class Async {
 public:
  Async(uv_loop_t* loop, std::function<void()> cb);
  ~Async() { close(); }
  Async(const Async&) = delete;
  Async& operator=(const Async&) = delete;

  void ring() { uv_async_send(handle_); }  // thread-safe
  // Lets the loop exit while this doorbell is open (uv_unref): for doorbells
  // that must stay usable until their owner is destroyed, after the last run.
  void unref() {
    if (box_ != nullptr) uv_unref(box_->as_handle());
  }
  void ref() {
    if (box_ != nullptr) uv_ref(box_->as_handle());
  }
  void close(std::function<void()> on_closed = {}) { detail::close_box(box_, std::move(on_closed)); }
  bool closed() const { return box_ == nullptr; }

 private:
  detail::Box<uv_async_t>* box_;
  uv_async_t* handle_;  // stable copy so ring() never reads box_ from another thread
};

}  // namespace pushgw::loop
