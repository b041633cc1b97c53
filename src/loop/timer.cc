#include "loop/timer.h"

#include <cstdint>

namespace pushgw::loop {

Timer::Timer(uv_loop_t* loop, std::function<void()> cb) : box_(new detail::Box<uv_timer_t>()) {
  box_->cb = std::move(cb);
  uv_timer_init(loop, &box_->handle);
}

void Timer::start(uint64_t timeout_ms, uint64_t repeat_ms) {
  if (box_ == nullptr) return;
  uv_timer_start(
      &box_->handle,
      [](uv_timer_t* t) {
        auto* b = static_cast<detail::Box<uv_timer_t>*>(t->data);
        if (b->cb) b->cb();
      },
      timeout_ms, repeat_ms);
}

void Timer::stop() {
  if (box_ != nullptr) uv_timer_stop(&box_->handle);
}

bool Timer::active() const { return box_ != nullptr && uv_is_active(box_->as_handle()) != 0; }

uint64_t Timer::due_in() const {
  if (!active()) return UINT64_MAX;
  return uv_timer_get_due_in(&box_->handle);
}

}  // namespace pushgw::loop
