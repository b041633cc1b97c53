// Runs a callback once per loop iteration, right after the loop polled for
// I/O (uv_check_t): the place to act on what a whole I/O pass produced (refill
// freed capacity, append what finished in one write). Same close protocol as
// Timer (handle_box.h). Loop thread only.
#pragma once
#include <uv.h>

#include <functional>

#include "loop/handle_box.h"

namespace pushgw::loop {

class Check {
 public:
  Check(uv_loop_t* loop, std::function<void()> cb);
  ~Check() { close(); }
  Check(const Check&) = delete;
  Check& operator=(const Check&) = delete;

  void start();
  void stop();
  void close(std::function<void()> on_closed = {}) { detail::close_box(box_, std::move(on_closed)); }
  bool closed() const { return box_ == nullptr; }

 private:
  detail::Box<uv_check_t>* box_;
};

}  // namespace pushgw::loop
