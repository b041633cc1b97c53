#include "dispatch/untrusted_window.h"

#include <algorithm>

#include "dispatch/circuit_breaker.h"

namespace pushgw::dispatch {

void UntrustedWindow::queue(OriginGuard* g) {
  if (g->window_queued_) return;
  g->window_queued_ = true;
  queued_.push_back(g);
}

bool UntrustedWindow::hand_over(SendJob* out) {
  // Each guard is looked at once per call: one that cannot send now (its own
  // share is in flight, its jobs left) leaves the queue; its own
  // completions and the next wait() bring it back.
  for (size_t n = queued_.size(); n > 0 && !full(); --n) {
    OriginGuard* g = queued_.front();
    queued_.pop_front();
    g->window_queued_ = false;
    if (!g->take_waiting(out)) continue;
    if (!g->waiting().empty()) queue(g);  // round robin: its next job after the others'
    return true;
  }
  return false;
}

void UntrustedWindow::forget(const OriginGuard* g) {
  queued_.erase(std::remove(queued_.begin(), queued_.end(), g), queued_.end());
}

}  // namespace pushgw::dispatch
