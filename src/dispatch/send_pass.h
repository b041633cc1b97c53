// One pass of sends (a ring drain, due retries, parked or probe jobs): the
// providers read their shared credentials once, before the pass's first
// request is built, and every pool that got a request is flushed once when
// the pass ends (one write per connection per pass, not per request).
//
//   {
//     SendPass pass(apps, pools, now);
//     for (...) sender.send_one(job, pass);
//   }  // pools flushed here
#pragma once
#include <cstdint>

#include "dispatch/pool_directory.h"
#include "dispatch/thread_apps.h"

namespace pushgw::dispatch {

class SendPass {
 public:
  SendPass(ThreadApps& apps, PoolDirectory& pools, int64_t now_ms) : apps_(apps), pools_(pools), now_(now_ms) {}
  ~SendPass() { pools_.flush_dirty(); }
  SendPass(const SendPass&) = delete;
  SendPass& operator=(const SendPass&) = delete;

  int64_t now() const { return now_; }
  // When the jobs being sent were taken from the ring (monotonic ns; 0 for
  // jobs from anywhere else): the start of their build stage.
  int64_t taken_ns() const { return taken_ns_; }
  // held_since: since when the sender has been leaving the ring's jobs there
  // because the pools held kBuildAhead requests without a stream (0: it has
  // not). That wait is for the provider's streams, as it would have been in
  // a pool's queue.
  void taken_at(int64_t mono_ns, int64_t held_since = 0) {
    taken_ns_ = mono_ns;
    held_since_ = held_since;
  }
  // How long a job of this chunk, accepted at accepted_mono_ns, waited in the
  // ring for streams (counted as stream wait, not as the gateway's share).
  int64_t held_for(int64_t accepted_mono_ns) const {
    const int64_t from = accepted_mono_ns > held_since_ ? accepted_mono_ns : held_since_;
    return held_since_ != 0 && taken_ns_ > from ? taken_ns_ - from : 0;
  }
  // Before building a request.
  void begin() {
    if (began_) return;
    began_ = true;
    apps_.begin_drain(now_);
  }

 private:
  ThreadApps& apps_;
  PoolDirectory& pools_;
  const int64_t now_;
  int64_t taken_ns_ = 0;
  int64_t held_since_ = 0;
  bool began_ = false;
};

}  // namespace pushgw::dispatch
