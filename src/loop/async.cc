#include "loop/async.h"

namespace pushgw::loop {

Async::Async(uv_loop_t* loop, std::function<void()> cb) : box_(new detail::Box<uv_async_t>()) {
  box_->cb = std::move(cb);
  handle_ = &box_->handle;
  uv_async_init(loop, &box_->handle, [](uv_async_t* a) {
    auto* b = static_cast<detail::Box<uv_async_t>*>(a->data);
    if (b->cb) b->cb();
  });
}

}  // namespace pushgw::loop
