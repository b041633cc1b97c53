#include "loop/poll.h"

namespace pushgw::loop {
namespace detail {

struct PollBox {
  uv_poll_t handle{};
  Poll::Callback cb;
  std::function<void()> on_closed;

  PollBox() { handle.data = this; }
  uv_handle_t* as_handle() { return reinterpret_cast<uv_handle_t*>(&handle); }
};

}  // namespace detail

Poll::Poll(uv_loop_t* loop, int fd, Callback cb) : box_(new detail::PollBox()) {
  box_->cb = std::move(cb);
  if (uv_poll_init(loop, &box_->handle, fd) != 0) {
    delete box_;  // never initialised: libuv does not know it
    box_ = nullptr;
  }
}

int Poll::watch(int events) {
  if (box_ == nullptr) return UV_EBADF;
  if (events == 0) return uv_poll_stop(&box_->handle);
  return uv_poll_start(&box_->handle, events, [](uv_poll_t* h, int status, int ev) {
    auto* b = static_cast<detail::PollBox*>(h->data);
    if (b->cb) b->cb(status, ev);
  });
}

// The callback is not cleared: it may be the one running right now, and a
// closed uv_poll_t never fires again anyway.
void Poll::close(std::function<void()> on_closed) { detail::close_box(box_, std::move(on_closed)); }

}  // namespace pushgw::loop
