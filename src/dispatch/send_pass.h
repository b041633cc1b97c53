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
  // When the jobs being sent were taken from the ring, or from their pool's
  // backlog (monotonic ns; 0 for jobs from anywhere else): the start of
  // their build stage. held_ns: how long the job waited in its pool's
  // backlog for streams before that (StreamBacklogs), which counts as stream
  // wait and provider time, not as the gateway's share.
  void taken_at(int64_t mono_ns, int64_t held_ns = 0) {
    taken_ns_ = mono_ns;
    held_ns_ = held_ns;
  }
  int64_t taken_ns() const { return taken_ns_; }
  int64_t held_ns() const { return held_ns_; }
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
  int64_t held_ns_ = 0;
  bool began_ = false;
};

}  // namespace pushgw::dispatch
