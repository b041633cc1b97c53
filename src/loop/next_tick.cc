#include "loop/next_tick.h"

namespace pushgw::loop {

NextTick::NextTick(uv_loop_t* loop, std::function<void()> cb) : box_(new detail::Box<uv_idle_t>()) {
  box_->cb = std::move(cb);
  uv_idle_init(loop, &box_->handle);
}

void NextTick::schedule() {
  if (box_ == nullptr || uv_is_active(box_->as_handle())) return;
  uv_idle_start(&box_->handle, [](uv_idle_t* h) {
    uv_idle_stop(h);  // one shot; cb may schedule again
    auto* b = static_cast<detail::Box<uv_idle_t>*>(h->data);
    if (b->cb) b->cb();
  });
}

void NextTick::cancel() {
  if (box_ != nullptr) uv_idle_stop(&box_->handle);
}

}  // namespace pushgw::loop
