// SIGTERM: the order in which the daemon stops, each step starting when the
// one before it is over:
//   1. intake: stop reading, pump the backlog into the senders until it is
//      empty or the deadline (now + [server] drain_seconds) has passed; what
//      is left then fails "shutdown" (Admission::drain, after the scheduler
//      stopped claiming);
//   2. senders: finish what they hold, fail what is left at the deadline,
//      stop, hand back their last completions (Fleet::stop);
//   3. answers still owed to clients (waited requests, op answers): once the
//      senders are done their store commits come within milliseconds; they
//      are waited for up to kAnswerGrace past the deadline, rather than
//      closing on clients that were promised one answer per request;
//   4. work other threads still report back to this loop (spool group
//      commits, scheduled-send store operations, journal notices): always
//      waited for, the writers answer promptly;
//   5. done(): the owner closes what listens (socket, sources, metrics).
// Steps 3 and 4 wait on PendingOps tokens held by each such operation, not
// on a list of counters: new async work needs no change here.
//
// Threading: the main loop thread.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>

#include "loop/pending_ops.h"
#include "loop/timer.h"
#include "pushgw/clock.h"

namespace pushgw::daemon {

class Drain {
 public:
  static constexpr int64_t kAnswerGraceMs = 5000;

  // A step that runs until the deadline (monotonic ns) at most, then calls done.
  using Step = std::function<void(int64_t deadline_mono_ns, std::function<void()> done)>;
  struct Steps {
    Step intake;   // 1
    Step senders;  // 2
  };

  Drain(uv_loop_t* loop, const Clock& clock, loop::PendingOps& answers, loop::PendingOps& work, Steps steps);
  Drain(const Drain&) = delete;
  Drain& operator=(const Drain&) = delete;

  // Starts the drain (a second call does nothing); done runs on the loop
  // when step 4 is over.
  void start(int64_t drain_ms, std::function<void()> done);
  bool started() const { return started_; }

 private:
  void wait_for_answers();
  void wait_for_work();

  const Clock& clock_;
  loop::PendingOps& answers_;
  loop::PendingOps& work_;
  Steps steps_;
  loop::Timer grace_;
  int64_t deadline_ns_ = 0;
  bool started_ = false;
  std::function<void()> done_;
};

}  // namespace pushgw::daemon
