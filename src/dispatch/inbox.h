// What the ingest thread hands one sender and reads back: the ring of jobs,
// bounded by the sender's share; the doorbell; the stop request; and whether
// the sender has stopped.
//
// Threading: push(), wake(), load(), request_stop() and stopped() may be
// called from any thread (the ingest thread); pop(), notify_room() and
// mark_stopped() run on the sender's thread.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "dispatch/stats.h"
#include "loop/async.h"
#include "pushgw/job.h"
#include "queue/spsc_ring.h"

namespace pushgw::dispatch {

class Inbox {
 public:
  // share: ring capacity and back-pressure bound; held: the sender's count of
  // jobs it holds (stats.queued); on_ring runs on the sender's loop when the
  // doorbell rings; notify_ingest as SenderDeps::notify_ingest.
  Inbox(uv_loop_t* loop, size_t share, const SenderStats& held, std::function<void()> on_ring,
        std::function<void()> notify_ingest);

  // Enqueues jobs (returns how many fit). What fits is bounded by the share:
  // jobs in the ring plus every job the sender holds (in flight, waiting to
  // retry, held by a breaker, parked for a name or a credential, waiting
  // for its origin's share). So parked work counts against back-pressure:
  // during a provider outage ingest stops reading instead of growing without
  // bound. When a push did not fit, notify_room() rings notify_ingest once
  // room frees.
  size_t push(const SendJob* jobs, size_t n);
  void wake() { doorbell_.ring(); }
  // Jobs counted against the share (the ring and what the sender holds), and the share.
  size_t load() const;
  size_t share() const { return share_; }
  size_t ring_size() const { return ring_.size_approx(); }
  size_t ring_capacity() const { return ring_.capacity(); }
  // Finish what is queued and in flight, then stop; whatever is left at
  // deadline (monotonic ns) fails with reason "shutdown".
  void request_stop(int64_t deadline_mono_ns);
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // Any thread: a provider credential arrived (an FCM access token was set);
  // the sender sends what it parked for one without waiting for its look.
  void credentials_changed() {
    credentials_.fetch_add(1, std::memory_order_release);
    doorbell_.ring();
  }

  // Sender thread.
  uint64_t credentials() const { return credentials_.load(std::memory_order_acquire); }
  size_t pop(SendJob* out, size_t max) { return ring_.pop_many(out, max); }
  bool stop_requested() const { return stop_requested_.load(std::memory_order_acquire); }
  int64_t stop_deadline_ns() const { return stop_deadline_ns_.load(std::memory_order_relaxed); }
  // Once per loop turn: ingest was refused and there is room again (outcomes
  // freed some): one doorbell, not one per outcome.
  void notify_room();
  // The ingest side is told without polling (ring freed, batch completed, stopped).
  void notify_ingest() const {
    if (notify_ingest_) notify_ingest_();
  }
  void mark_stopped();
  // The loop may end while the ingest thread can still ring: the doorbell
  // stays open (unreferenced) until the Inbox is destroyed.
  void unref() { doorbell_.unref(); }

 private:
  const size_t share_;
  const SenderStats& held_;
  std::function<void()> notify_ingest_;
  queue::SpscRing<SendJob> ring_;
  loop::Async doorbell_;
  std::atomic<bool> refused_{false};  // a push did not fit: ring notify_ingest when room frees
  std::atomic<bool> stop_requested_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> credentials_{0};  // bumped by credentials_changed()
};

}  // namespace pushgw::dispatch
