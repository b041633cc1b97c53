#include "dispatch/untrusted_backlog.h"

#include <algorithm>
#include <limits>

#include "dispatch/outcome_sink.h"

namespace pushgw::dispatch {
namespace {

// Seconds to drain its backlog at its rate (an origin that answers nothing: never).
double drain_s(const OriginGuard& g) {
  const double rate = g.meter().rate();
  return rate > 0 ? static_cast<double>(g.backlog()) / rate : std::numeric_limits<double>::infinity();
}

}  // namespace

int64_t UntrustedBacklog::deadline(const Batch& b) const {
  const int64_t window = b.accepted_ms + max_retry_ms_;
  return b.expires_at_ms > 0 ? std::min(window, b.expires_at_ms) : window;
}

bool UntrustedBacklog::slow(const OriginGuard& g, size_t backlog) {
  return g.meter().judged() && static_cast<double>(backlog) > g.meter().drains_within(kSlowDrainMs);
}

bool UntrustedBacklog::admit(OriginGuard& g, const Batch& b, int64_t now_ms, OutcomeSink& sink) {
  const size_t after = g.backlog() + 1;
  // Rule 1: it would not be answered before its window ends.
  if (g.meter().judged() && static_cast<double>(after) > g.meter().drains_within(deadline(b) - now_ms)) {
    ++shed_;
    return false;
  }
  if (total_ < bound_) return true;
  // Rule 2: nothing more for a slow origin; a faster one takes the place of
  // the slowest's newest job (as of the last tick: O(1) here).
  if (slow(g, after)) {
    ++shed_;
    return false;
  }
  if (victim_ != nullptr && victim_ != &g && slow(*victim_, victim_->backlog())) shed_newest(*victim_, sink);
  return true;  // every origin past the bound drains fast or is new: back-pressure
}

void UntrustedBacklog::shed_newest(OriginGuard& g, OutcomeSink& sink) {
  SendJob job;
  bool held = false;
  if (!g.take_newest(&job, &held)) return;
  ++shed_;
  // A held job gives up on the failure that opened the breaker, as at the
  // end of its window; a waiting one on the origin being busy.
  sink.finish(job, Status::Failed, held ? std::string_view(g.last_reason()) : std::string_view("origin_busy"));
}

void UntrustedBacklog::tick(const std::vector<OriginGuard*>& guards, int64_t now_ms, int64_t mono_ms,
                            OutcomeSink& sink) {
  size_t total = 0;
  slow_.clear();
  for (OriginGuard* g : guards) {
    // Busy: it has requests to answer, or jobs waiting for it. Jobs that
    // wait only for the window other origins fill (UntrustedWindow) are not
    // this origin's doing: with nothing in flight it is not judged on them.
    g->meter().sample(mono_ms, g->in_flight() > 0 || (g->backlog() > 0 && !g->window_queued()));
    if (!g->meter().judged()) {
      total += g->backlog();
      continue;
    }
    // Rule 1, newest first: the newest job has the latest window, so what
    // stays could all be answered within it.
    for (SendJob n; g->newest(&n);) {
      if (static_cast<double>(g->backlog()) <= g->meter().drains_within(deadline(*n.batch) - now_ms)) break;
      shed_newest(*g, sink);
    }
    total += g->backlog();
    if (slow(*g, g->backlog())) slow_.push_back(g);
  }
  total_ = total;  // counted again: housekeeping moved jobs without the guards' count
  // Rule 2, slowest first.
  std::sort(slow_.begin(), slow_.end(), [](const OriginGuard* a, const OriginGuard* b) {
    const double da = drain_s(*a), db = drain_s(*b);
    return da != db ? da > db : a->backlog() > b->backlog();
  });
  victim_ = nullptr;
  for (OriginGuard* g : slow_) {
    while (total_ > bound_ && slow(*g, g->backlog())) shed_newest(*g, sink);
    if (victim_ == nullptr && slow(*g, g->backlog())) victim_ = g;
  }
}

}  // namespace pushgw::dispatch
