#include "dispatch/outcome_sink.h"

#include <algorithm>

#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::dispatch {
namespace {

// The store retries a full ring from a timer this often (and every loop turn).
constexpr uint64_t kOverflowRetryMs = 1;
// Done marks look at the store's commit position this often (and every loop turn).
constexpr uint64_t kSpoolPollMs = 5;

// What a final status means for the store.
struct StatusRule {
  store::Kind kind;
  bool sent;     // a request went out (Suppressed, Capped, Expired: never sent)
  bool always;   // recorded even without track_sends (verdicts on the token, failures)
};

StatusRule rule(Status st) {
  switch (st) {
    case Status::Delivered: return {store::Kind::Delivered, true, false};
    case Status::Invalid: return {store::Kind::Invalid, true, true};
    case Status::Unsubscribed: return {store::Kind::Unsubscribed, true, true};
    case Status::Failed: return {store::Kind::Failed, true, true};
    case Status::Suppressed: return {store::Kind::Suppressed, false, false};
    case Status::Capped: return {store::Kind::Capped, false, false};
    case Status::Expired: return {store::Kind::Expired, false, false};
  }
  return {store::Kind::Failed, true, true};
}

}  // namespace

OutcomeSink::OutcomeSink(uv_loop_t* loop, OutcomeSinkDeps deps, const ThreadApps& apps, SenderCounters& counters,
                         std::function<void()> on_room)
    : d_(std::move(deps)),
      apps_(apps),
      counters_(counters),
      on_room_(std::move(on_room)),
      completions_(d_.completion_capacity),
      timer_(loop, [this] { flush_overflow(); }),
      spool_timer_(loop, [this] { poll_spool(); }) {}

OutcomeSink::~OutcomeSink() {
  for (Batch* b : completion_backlog_) delete b;
  for (size_t i = 0; i < overflow_count_; ++i) delete overflow_[(overflow_head_ + i) % overflow_.size()].completed;
  for (Batch* b : turn_completions_) delete b;
  for (SpoolMark& m : spool_marks_)
    for (Batch* b : m.completions) delete b;
  for (auto& w : spool_written_wait_) delete w.second;
}

void OutcomeSink::finish(const SendJob& job, Status st, std::string_view reason, int http_status, std::string_view id,
                         int64_t since_ms, std::string_view provider_reason, uint64_t key) {
  Batch* b = job.batch;
  // A batch ingest did not journal (expired while scheduled) has no spool record.
  if (d_.spool && b->journaled && !(st == Status::Failed && reason == "shutdown")) spool_done(job);
  counters_.outcome(apps_[b->app_id], st, reason);
  // Never-sent recipients leave no token record, but a campaign counts them;
  // a campaign's outcomes are always recorded (its report needs them).
  const StatusRule r = rule(st);
  const bool campaign = !b->campaign.empty();
  if (d_.store && (r.sent ? (d_.track_sends || r.always || campaign) : campaign))
    store_record(*b, job.idx, r.kind, reason, since_ms, d_.clock->now_ms(), key);
  if (b->wait) {
    ResultSlot& slot = b->results[job.idx];
    slot.status = st;
    slot.http_status = static_cast<uint16_t>(http_status);
    slot.reason.assign(reason);
    slot.id.assign(id);
    slot.provider_reason.assign(provider_reason);
  }
  if (b->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) complete(b);
}

void OutcomeSink::record(const Batch& b, uint32_t idx, store::Kind kind, int64_t since_ms, int64_t at_ms,
                         uint64_t key) {
  if (d_.store) store_record(b, idx, kind, {}, since_ms, at_ms, key);
}

void OutcomeSink::store_record(const Batch& b, uint32_t idx, store::Kind kind, std::string_view reason,
                               int64_t since_ms, int64_t at_ms, uint64_t key) {
  store::Outcome o;
  o.platform = b.platform;
  o.app = apps_[b.app_id].name;
  o.token = b.token(idx);
  o.campaign = b.campaign;
  o.kind = kind;
  o.reason = reason;
  o.since_ms = since_ms;
  o.at_ms = at_ms;
  o.key = key;
  if (overflow_count_ == 0 && d_.store->record(d_.producer, o)) return;
  defer().keep(o);
}

void OutcomeSink::Deferred::keep(const store::Outcome& o) {
  meta = o;
  app.assign(o.app);
  token.assign(o.token);
  campaign.assign(o.campaign);
  reason.assign(o.reason);
}

store::Outcome OutcomeSink::Deferred::view() const {
  store::Outcome o = meta;
  o.app = app;
  o.token = token;
  o.campaign = campaign;
  o.reason = reason;
  return o;
}

OutcomeSink::Deferred& OutcomeSink::defer() {
  if (overflow_count_ == overflow_.size()) {  // full: unroll at the front, then grow
    std::rotate(overflow_.begin(), overflow_.begin() + static_cast<std::ptrdiff_t>(overflow_head_), overflow_.end());
    overflow_head_ = 0;
    overflow_.resize(std::max<size_t>(64, overflow_.size() * 2));
  }
  if (overflow_count_ == 0 && !timer_.active()) timer_.start(kOverflowRetryMs);
  Deferred& e = overflow_[(overflow_head_ + overflow_count_++) % overflow_.size()];
  e.completed = nullptr;
  return e;
}

void OutcomeSink::flush_overflow() {
  if (overflow_count_ == 0) return;
  while (overflow_count_ > 0) {
    Deferred& e = overflow_[overflow_head_];
    if (e.completed != nullptr) {
      hand_back(e.completed);
      e.completed = nullptr;
    } else if (!d_.store->record(d_.producer, e.view())) {
      break;
    }
    overflow_head_ = (overflow_head_ + 1) % overflow_.size();
    --overflow_count_;
  }
  if (overflow_count_ > 0) {
    timer_.start(kOverflowRetryMs);  // the store thread is still behind: look again soon, without blocking the loop
    return;
  }
  timer_.stop();
  if (on_room_) on_room_();
}

void OutcomeSink::complete(Batch* b) {
  if (!b->wait) {
    delete b;
    return;
  }
  if (overflow_count_ > 0) {  // its outcomes must reach the store first
    defer().completed = b;
    return;
  }
  hand_back(b);
}

// Its records are in the store ring; with a spool and a store its done
// marks may still wait for the commit: it waits with them.
void OutcomeSink::hand_back(Batch* b) {
  if (d_.spool && d_.store) {
    turn_completions_.push_back(b);
    return;
  }
  deliver(b);
}

void OutcomeSink::deliver(Batch* b) {
  if (!completions_.push(b)) completion_backlog_.push_back(b);
  if (d_.notify_ingest) d_.notify_ingest();
}

void OutcomeSink::flush() {
  flush_overflow();
  stage_spool_done();
  release_spool_done();
  flush_completions();
}

// This turn's done marks wait for the store position that covers every
// record made so far (records behind an overflow have no position yet: their
// marks stay until it drains).
void OutcomeSink::stage_spool_done() {
  if (d_.spool == nullptr) return;
  if (d_.store == nullptr) {
    if (!spool_done_.empty()) d_.spool->append_done(spool_done_.data(), spool_done_.size());
    spool_done_.clear();
    return;
  }
  if (overflow_count_ > 0 || (spool_done_.empty() && turn_completions_.empty())) return;
  spool_waiting_.insert(spool_waiting_.end(), spool_done_.begin(), spool_done_.end());
  spool_done_.clear();
  const uint64_t pos = d_.store->recorded(d_.producer);
  if (spool_marks_.empty() || spool_marks_.back().position != pos) spool_marks_.push_back(SpoolMark{pos, 0, {}});
  SpoolMark& m = spool_marks_.back();
  m.end = spool_waiting_.size();
  m.completions.insert(m.completions.end(), turn_completions_.begin(), turn_completions_.end());
  turn_completions_.clear();
  if (!spool_timer_.active()) spool_timer_.start(kSpoolPollMs);
}

void OutcomeSink::release_spool_done() {
  if (spool_marks_.empty()) return deliver_written();
  const uint64_t committed = d_.store->committed(d_.producer);
  size_t n = 0;
  uint64_t ticket = 0;
  while (!spool_marks_.empty() && spool_marks_.front().position <= committed) {
    SpoolMark& m = spool_marks_.front();
    ticket = d_.spool->append_done(spool_waiting_.data() + n, m.end - n);
    n = m.end;
    for (Batch* b : m.completions) spool_written_wait_.emplace_back(ticket, b);
    spool_marks_.pop_front();
  }
  deliver_written();
  if (n == 0) return;
  spool_waiting_.erase(spool_waiting_.begin(), spool_waiting_.begin() + static_cast<std::ptrdiff_t>(n));
  for (SpoolMark& m : spool_marks_) m.end -= n;
}

void OutcomeSink::deliver_written() {
  if (spool_written_wait_.empty()) return;
  // A spool that cannot write does not hold answers back (a replay may then
  // send those recipients again: at least once).
  const uint64_t written = d_.spool->failing() ? UINT64_MAX : d_.spool->done_written();
  while (!spool_written_wait_.empty() && spool_written_wait_.front().first <= written) {
    deliver(spool_written_wait_.front().second);
    spool_written_wait_.pop_front();
  }
}

void OutcomeSink::poll_spool() {
  release_spool_done();
  if (!spool_marks_.empty() || !spool_written_wait_.empty()) {
    spool_timer_.start(kSpoolPollMs);
  } else if (spool_settled() && on_room_) {
    on_room_();  // a closing sender waits for this
  }
}

void OutcomeSink::give_up_spool() {
  for (Batch* b : turn_completions_) deliver(b);
  turn_completions_.clear();
  for (SpoolMark& m : spool_marks_)
    for (Batch* b : m.completions) deliver(b);
  spool_marks_.clear();
  for (auto& w : spool_written_wait_) deliver(w.second);
  spool_written_wait_.clear();
  spool_waiting_.clear();
  spool_done_.clear();
  spool_timer_.stop();
}

void OutcomeSink::flush_completions() {
  if (completion_backlog_.empty()) return;
  const size_t n = completions_.push_many(completion_backlog_.data(), completion_backlog_.size());
  completion_backlog_.erase(completion_backlog_.begin(), completion_backlog_.begin() + static_cast<long>(n));
  if (n > 0 && d_.notify_ingest) d_.notify_ingest();
}

void OutcomeSink::spool_done(const SendJob& job) {
  const Batch& b = *job.batch;
  if (!spool_done_.empty()) {
    spool::DoneRange& last = spool_done_.back();
    if (last.seq == b.request_id && last.n == b.n && last.first + last.count == job.idx) {
      ++last.count;
      return;
    }
  }
  spool_done_.push_back(spool::DoneRange{b.request_id, b.n, job.idx, 1});
}

}  // namespace pushgw::dispatch
