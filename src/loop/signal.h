// Signal watcher (uv_signal_t): cb runs on the loop thread each time signum
// arrives. Same close protocol as Timer.
#pragma once
#include <uv.h>

#include <functional>

#include "loop/handle_box.h"

namespace pushgw::loop {

class Signal {
 public:
  Signal(uv_loop_t* loop, int signum, std::function<void()> cb);
  ~Signal() { close(); }
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  // Lets the loop exit while the watcher is armed (uv_unref).
  void unref() {
    if (box_ != nullptr) uv_unref(box_->as_handle());
  }
  void close(std::function<void()> on_closed = {}) { detail::close_box(box_, std::move(on_closed)); }

 private:
  detail::Box<uv_signal_t>* box_;
};

}  // namespace pushgw::loop
