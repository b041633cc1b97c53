#include "loop/check.h"

namespace pushgw::loop {

Check::Check(uv_loop_t* loop, std::function<void()> cb) : box_(new detail::Box<uv_check_t>()) {
  box_->cb = std::move(cb);
  uv_check_init(loop, &box_->handle);
}

void Check::start() {
  if (box_ == nullptr) return;
  uv_check_start(&box_->handle, [](uv_check_t* h) {
    auto* b = static_cast<detail::Box<uv_check_t>*>(h->data);
    if (b->cb) b->cb();
  });
}

void Check::stop() {
  if (box_ != nullptr) uv_check_stop(&box_->handle);
}

}  // namespace pushgw::loop
