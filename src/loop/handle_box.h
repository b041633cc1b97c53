// Internal: the libuv close protocol shared by the loop/ wrappers.
//
// A wrapper (Timer, Async, ...) owns a heap Box holding the uv handle and its
// callbacks. Closing hands the Box to libuv: memory is released only in the
// close callback, so a wrapper may be destroyed at any time, including from
// inside its own callback (the running std::function lives in the Box until
// libuv is done with the handle).
#pragma once
#include <uv.h>

#include <functional>
#include <utility>

namespace pushgw::loop::detail {

template <class H>
struct Box {
  H handle{};
  std::function<void()> cb;         // the wrapper's callback; never called after close
  std::function<void()> on_closed;  // runs after the memory is released

  Box() { handle.data = this; }
  uv_handle_t* as_handle() { return reinterpret_cast<uv_handle_t*>(&handle); }
};

// Starts closing *box (if any) and forgets it. on_closed runs from the close
// callback, after the Box is freed, so it may destroy whatever owned the Box.
// B is Box<H> or any box with the same members (handle whose data points to
// the box, on_closed, as_handle()), such as the stream and poll boxes.
template <class B>
void close_box(B*& box, std::function<void()> on_closed = {}) {
  if (box == nullptr) {
    if (on_closed) on_closed();  // nothing open: closed already
    return;
  }
  B* b = box;
  box = nullptr;
  b->on_closed = std::move(on_closed);
  uv_close(b->as_handle(), [](uv_handle_t* h) {
    auto* self = static_cast<B*>(h->data);
    auto done = std::move(self->on_closed);
    delete self;
    if (done) done();
  });
}

}  // namespace pushgw::loop::detail
