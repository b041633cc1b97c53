#include "dispatch/verdict_hold.h"

namespace pushgw::dispatch {

VerdictHold::VerdictHold(uv_loop_t* loop, SuspectGuard* guard, const Clock& clock, OutcomeSink& sink)
    : guard_(guard), clock_(clock), sink_(sink), timer_(loop, [this] { release_due(); }) {}

bool VerdictHold::take(const SendJob& job, Platform p, Status st, const Verdict& v) {
  if (guard_ == nullptr) return false;
  const uint16_t id = job.batch->app_id;
  if (id >= SuspectGuard::kMaxApps) return false;
  if (tallies_.size() <= id) tallies_.resize(id + 1u);
  SuspectGuard::Tally& t = tallies_[id];
  ++t.finished;
  dirty_ = true;
  if (!SuspectGuard::is_mismatch(p, v)) return false;
  ++t.mismatch;
  t.reason.assign(v.reason);
  const int64_t now = clock_.mono_ns() / 1'000'000;
  held_.push_back(Held{job, st, static_cast<uint16_t>(v.http_status), now + guard_->hold_ms(), v.reason});
  if (held_.size() == 1) arm();
  return true;
}

void VerdictHold::report() {
  if (guard_ == nullptr) return;
  // Even with nothing new: the guard re-evaluates (and clears) on reports.
  guard_->report(tallies_, clock_.now_ms());
  dirty_ = false;
}

void VerdictHold::arm() {
  if (held_.empty()) return;
  const int64_t now = clock_.mono_ns() / 1'000'000;
  const int64_t wait = held_.front().release_mono_ms - now;
  timer_.start(static_cast<uint64_t>(wait > 0 ? wait : 0));
}

void VerdictHold::release_due() {
  // The guard must have this thread's latest answers before it judges them.
  if (dirty_) report();
  const int64_t now = clock_.mono_ns() / 1'000'000;
  while (!held_.empty() && held_.front().release_mono_ms <= now) {
    Held h = std::move(held_.front());
    held_.pop_front();
    if (guard_->suspect(h.job.batch->app_id)) {
      sink_.finish(h.job, Status::Failed, "suspect_config", h.http_status, {}, 0, h.reason);
    } else {
      sink_.finish(h.job, h.status, h.reason, h.http_status);
    }
  }
  arm();
}

void VerdictHold::fail_all(std::string_view reason) {
  while (!held_.empty()) {
    Held h = std::move(held_.front());
    held_.pop_front();
    sink_.finish(h.job, Status::Failed, reason);
  }
  timer_.stop();
}

}  // namespace pushgw::dispatch
