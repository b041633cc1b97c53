// SIGTERM drain: stop reading, let senders finish queued and in-flight work
// for up to drain_seconds, fail what is left with reason "shutdown", answer
// waiting clients, then report done.
#include "daemon/gateway.h"
#include "store/store.h"

namespace pushgw::daemon {

void Gateway::shutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  drain_deadline_ns_ = d_.clock->mono_ns() + int64_t{d_.config->server.drain_seconds} * 1'000'000'000;
  server_->pause_reading();
  reading_paused_ = true;
  uv_timer_stop(&schedule_timer_);  // due rows stay in the store for the next start
  uv_timer_start(
      &shutdown_timer_, [](uv_timer_t* t) { static_cast<Gateway*>(t->data)->check_shutdown(); }, 50, 50);
  check_shutdown();
}

void Gateway::fail_backlog_for_shutdown() {
  while (!backlog_.empty()) {
    BacklogItem it = backlog_.front();
    backlog_.pop_front();
    Batch* b = it.batch;
    const uint32_t left = it.total() - it.next;
    if (b->wait)
      for (uint32_t k = it.next; k < it.total(); ++k) {
        b->results[it.idx(k)].status = Status::Failed;
        b->results[it.idx(k)].reason = "shutdown";
      }
    if (b->pending.fetch_sub(left, std::memory_order_acq_rel) == left) {
      if (b->wait) batch_done(b);
      else delete b;
    }
  }
}

void Gateway::check_shutdown() {
  if (!shutting_down_ || !shutdown_done_) return;
  const bool past = d_.clock->mono_ns() >= drain_deadline_ns_;
  if (!backlog_.empty()) {
    if (!past) {
      pump();
      return;
    }
    fail_backlog_for_shutdown();
  }
  if (!senders_stop_requested_) {
    senders_stop_requested_ = true;
    fleet_->stop(drain_deadline_ns_, [this] { check_shutdown(); });  // hands on their last completions
  }
  if (!fleet_->stopped()) return;
  run_posted();
  // Store commits of waited requests' verdicts are still on their way: the
  // senders have finished, so these answers come within milliseconds; wait
  // for them (a short grace past the deadline) rather than close on clients
  // that were promised one response per request.
  constexpr int64_t kAnswerGraceNs = 5'000'000'000;
  if (!waiting_.empty() && d_.clock->mono_ns() < drain_deadline_ns_ + kAnswerGraceNs) return;
  // Spool group commits still on their way: always wait (their callbacks post
  // to this loop, so it must not close first); the writer answers promptly.
  if (acks_pending_ > 0) return;
  // Scheduled-send work on the store thread posts back here too (a claim in
  // flight gives its rows back): wait for it as well.
  if (claiming_ || schedule_pending_ > 0) return;
  uv_timer_stop(&shutdown_timer_);
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  server_->close([this, done] {
    uv_close(reinterpret_cast<uv_handle_t*>(&notify_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&schedule_timer_), nullptr);
    done();
  });
}

}  // namespace pushgw::daemon
