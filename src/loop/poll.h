// Readiness watcher on a file descriptor someone else reads and writes
// (uv_poll_t), e.g. a hiredis connection. Same close protocol as Timer: the
// Poll may be destroyed anywhere, even inside its callback, and the callback
// never runs after close() or destruction. Loop thread only.
#pragma once
#include <uv.h>

#include <functional>

#include "loop/handle_box.h"

namespace pushgw::loop {

namespace detail {
struct PollBox;
}

class Poll {
 public:
  // status < 0: libuv reports an error (EPOLLERR) and has stopped watching;
  // events then holds no bits.
  using Callback = std::function<void(int status, int events)>;

  // Watches fd (not owned). ok() is false when libuv refused the fd.
  Poll(uv_loop_t* loop, int fd, Callback cb);
  ~Poll() { close(); }
  Poll(const Poll&) = delete;
  Poll& operator=(const Poll&) = delete;

  bool ok() const { return box_ != nullptr; }
  // Watches for events (UV_READABLE | UV_WRITABLE); 0 stops watching.
  int watch(int events);
  void close(std::function<void()> on_closed = {});

 private:
  detail::PollBox* box_;
};

}  // namespace pushgw::loop
