#include "dispatch/inbox.h"

#include <algorithm>

namespace pushgw::dispatch {

Inbox::Inbox(uv_loop_t* loop, size_t share, const SenderStats& held, std::function<void()> on_ring,
             std::function<void()> notify_ingest)
    : share_(share),
      held_(held),
      notify_ingest_(std::move(notify_ingest)),
      ring_(share),
      doorbell_(loop, std::move(on_ring)) {}

size_t Inbox::push(const SendJob* jobs, size_t n) {
  // The ring first (acquire): a job the sender popped is then already in
  // its held count (drain() counts before it pops), so nothing is missed.
  const size_t used = load();
  const size_t room = used < share_ ? share_ - used : 0;
  const size_t k = ring_.push_many(jobs, std::min(n, room));
  if (k < n) refused_.store(true, std::memory_order_release);
  return k;
}

size_t Inbox::load() const {
  const size_t ring = ring_.size_approx();
  return ring + held_.queued.load(std::memory_order_relaxed);
}

void Inbox::request_stop(int64_t deadline_mono_ns) {
  stop_deadline_ns_.store(deadline_mono_ns, std::memory_order_relaxed);
  stop_requested_.store(true, std::memory_order_release);
  doorbell_.ring();
}

void Inbox::notify_room() {
  if (!refused_.load(std::memory_order_acquire) || load() >= share_) return;
  refused_.store(false, std::memory_order_relaxed);
  notify_ingest();
}

void Inbox::mark_stopped() {
  stopped_.store(true, std::memory_order_release);
  notify_ingest();  // the fleet learns it without polling
}

}  // namespace pushgw::dispatch
