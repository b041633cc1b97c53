#include "loop/signal.h"

namespace pushgw::loop {

Signal::Signal(uv_loop_t* loop, int signum, std::function<void()> cb) : box_(new detail::Box<uv_signal_t>()) {
  box_->cb = std::move(cb);
  uv_signal_init(loop, &box_->handle);
  uv_signal_start(
      &box_->handle,
      [](uv_signal_t* s, int) {
        auto* b = static_cast<detail::Box<uv_signal_t>*>(s->data);
        if (b->cb) b->cb();
      },
      signum);
}

}  // namespace pushgw::loop
