#include "daemon/drain.h"

#include <algorithm>

namespace pushgw::daemon {

Drain::Drain(uv_loop_t* loop, const Clock& clock, loop::PendingOps& answers, loop::PendingOps& work, Steps steps)
    : clock_(clock),
      answers_(answers),
      work_(work),
      steps_(std::move(steps)),
      grace_(loop, [this] {
        answers_.cancel_wait();  // the grace is over: close on who is still waiting
        wait_for_work();
      }) {}

void Drain::start(int64_t drain_ms, std::function<void()> done) {
  if (started_) return;
  started_ = true;
  done_ = std::move(done);
  deadline_ns_ = clock_.mono_ns() + drain_ms * 1'000'000;
  steps_.intake(deadline_ns_, [this] { steps_.senders(deadline_ns_, [this] { wait_for_answers(); }); });
}

void Drain::wait_for_answers() {
  const int64_t grace_end_ns = deadline_ns_ + kAnswerGraceMs * 1'000'000;
  const int64_t left_ms = std::max<int64_t>(0, (grace_end_ns - clock_.mono_ns()) / 1'000'000);
  grace_.start(static_cast<uint64_t>(left_ms));
  answers_.when_idle([this] {
    grace_.stop();
    wait_for_work();
  });
}

void Drain::wait_for_work() {
  work_.when_idle([this] {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done();
  });
}

}  // namespace pushgw::daemon
