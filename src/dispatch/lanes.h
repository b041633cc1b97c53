// The ingest side's view of the sender threads: `count()` lanes, each the
// SPSC ring of SendJobs that one sender thread drains. Admission fills them
// (round-robin over an app's serving threads) and reads their load for
// back-pressure. Fleet implements it with real senders; tests use a fake.
//
// Threading: the ingest (main loop) thread only.
#pragma once
#include <cstddef>

#include "pushgw/job.h"

namespace pushgw::dispatch {

class Lanes {
 public:
  virtual ~Lanes() = default;
  virtual int count() const = 0;
  // Copies up to n jobs into lane `lane`; returns how many fit. The lane's
  // sender is not woken until wake(lane): one wake-up per pump, not per chunk.
  virtual size_t push(int lane, const SendJob* jobs, size_t n) = 0;
  virtual void wake(int lane) = 0;
  // Jobs counted against the senders' shares of max_queued (their rings plus
  // every job they hold: in flight, retrying, breaker-held, parked), and the
  // sum of the shares. push() refuses past a sender's share.
  virtual size_t load() const = 0;
  virtual size_t share() const = 0;
};

}  // namespace pushgw::dispatch
