// A sender's side of the suspect-app guard (suspect_guard.h): it counts the
// thread's final provider answers per app, reports them to the shared guard
// (once per housekeeping tick and before each release, never per
// notification), and holds every mismatch answer suspect_hold_ms before it
// is applied. At release, an app the guard calls suspect gets its held
// answers as status failed, reason "suspect_config", with the provider's
// reason in provider_reason: no state change, no suppression, no feedback
// event. Otherwise the answer is applied as it would have been at once.
//
// A held recipient is still the sender's (counted against back-pressure) and
// a wait:true answer waits for its release, so "reported means applied"
// holds. At shutdown held answers end as "shutdown" (replayed with a spool):
// a burst cut short is not applied unchecked.
//
// Loop thread only.
#pragma once
#include <uv.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "dispatch/outcome_sink.h"
#include "dispatch/suspect_guard.h"
#include "loop/timer.h"
#include "pushgw/clock.h"
#include "pushgw/job.h"
#include "pushgw/verdict.h"

namespace pushgw::dispatch {

class VerdictHold {
 public:
  // guard may be null: nothing is counted or held.
  VerdictHold(uv_loop_t* loop, SuspectGuard* guard, const Clock& clock, OutcomeSink& sink);
  VerdictHold(const VerdictHold&) = delete;
  VerdictHold& operator=(const VerdictHold&) = delete;

  // A final provider answer (delivered, invalid, unsubscribed, failed) for
  // job: counted; true when it is held (the caller must not finish the job).
  bool take(const SendJob& job, Platform p, Status st, const Verdict& v);
  // Housekeeping: hands this thread's counts to the guard.
  void report();
  bool empty() const { return held_.empty(); }
  // Shutdown: every held recipient ends failed with `reason`.
  void fail_all(std::string_view reason);
  void close() { timer_.close(); }

 private:
  struct Held {
    SendJob job;
    Status status;
    uint16_t http_status;
    int64_t release_mono_ms;
    std::string reason;
  };
  void release_due();
  void arm();

  SuspectGuard* guard_;
  const Clock& clock_;
  OutcomeSink& sink_;
  std::vector<SuspectGuard::Tally> tallies_;  // by app id
  bool dirty_ = false;
  std::deque<Held> held_;  // release times ascend (one hold length)
  loop::Timer timer_;
};

}  // namespace pushgw::dispatch
