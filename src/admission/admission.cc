#include "admission/admission.h"

#include <algorithm>

#include "ingest/json_out.h"

namespace pushgw::admission {

Admission::Admission(Deps deps) : d_(std::move(deps)), deadline_(d_.loop, [this] { on_drain_deadline(); }) {
  if (d_.registry && d_.families) shard_ = std::make_unique<metrics::Shard>(*d_.registry);
  scratch_.resize(kChunk);
  touched_.assign(static_cast<size_t>(d_.lanes->count()), 0);
}

Admission::~Admission() {
  for (auto& it : backlog_) delete it.batch;  // only after a forced stop
}

void Admission::set_apps(std::shared_ptr<const dispatch::AppTable> table, const ingest::AppDirectory* directory) {
  apps_ = std::move(table);
  directory_ = directory;
}

void Admission::handle_send(uint64_t conn_id, const std::string& id_json, std::string_view line,
                            simdjson::dom::element root) {
  if (draining_) {
    d_.clients->answer(conn_id,
                       ingest::error_response(id_json, "shutting_down", "the daemon is draining; not accepting"),
                       ingest::Answer::Retry);
    return;
  }
  if (refuse_for_store(conn_id, id_json)) return;
  const int64_t now_ms = d_.clock->now_ms();
  auto parsed = ingest::parse_send(root, *directory_, d_.scheduler->now_ms(), d_.policy->rules());
  if (!parsed.ok()) {
    d_.clients->answer(conn_id, ingest::error_response(id_json, parsed.error().code, parsed.error().message),
                       ingest::Answer::Rejected);
    return;
  }
  ingest::SendRequest& req = parsed.value();
  // A source's request is done when its recipients are final (so it is
  // waited for), unless a spool makes it durable earlier and nobody wants
  // the results.
  if (Clients::is_source(conn_id)) req.wait = !d_.tracker->journaling() || d_.clients->source_wants_results();
  count_rejected(req);
  // The tracker queues a wait:false answer before the batches are queued, so
  // it goes out promptly; a waited request's batch can only finish after
  // this returns (same thread).
  for (Batch* b : d_.tracker->track(conn_id, id_json, line, req, now_ms, *this)) enqueue(b);
  pump();
}

bool Admission::refuse_for_store(uint64_t conn_id, const std::string& id_json) {
  const bool down = d_.store_down && d_.store_down();
  if (down != store_refused_) {
    store_refused_ = down;
    if (down) PGW_LOG(d_.log, Error, "the store cannot commit: refusing sends (store_unavailable) until it recovers");
    else PGW_LOG(d_.log, Info, "the store commits again: accepting sends");
  }
  if (!down) {
    if (!d_.spool_down || !d_.spool_down()) return false;
    d_.clients->answer(conn_id,
                       ingest::error_response(id_json, "spool_failed",
                                              "the spool cannot write (disk full?); nothing of this request was "
                                              "sent; retry later"),
                       ingest::Answer::Retry);
    return true;
  }
  d_.clients->answer(conn_id,
                     ingest::error_response(id_json, "store_unavailable",
                                            "the store cannot commit (retrying); sends are refused until it recovers"),
                     ingest::Answer::Retry);
  return true;
}

Result<ingest::SendRequest> Admission::parse_line(std::string_view line, int64_t now_ms) {
  Result<void> parsed = parser_.parse(line);
  if (!parsed.ok()) return parsed.error();
  return ingest::parse_send(parser_.root(), *directory_, now_ms, d_.policy->rules());
}

std::vector<Batch*> Admission::admit(ingest::SendRequest& req, uint64_t request_id, int64_t now_ms) {
  const int64_t mono = d_.clock->mono_ns();
  std::vector<Batch*> owned;
  owned.reserve(req.batches.size());
  for (auto& up : req.batches) {
    Batch* b = up.release();
    b->campaign = req.campaign;
    b->wait = req.wait;
    b->request_id = request_id;
    b->accepted_ms = now_ms;
    b->accepted_mono_ns = mono;
    b->pending.store(static_cast<uint32_t>(b->recipients.size()), std::memory_order_relaxed);
    if (req.wait) b->results.resize(b->recipients.size());
    accepted_[static_cast<size_t>(b->platform)] += b->recipients.size();
    if (shard_) {
      const auto& app = (*apps_)[b->app_id];
      shard_->counter(d_.families->accepted, {to_string(app.platform), app.name})->inc(b->recipients.size());
    }
    owned.push_back(b);
  }
  req.batches.clear();
  return owned;
}

void Admission::enqueue(Batch* b, std::shared_ptr<const std::vector<uint32_t>> only) {
  backlog_.push_back(BacklogItem{b, 0, rr_++, std::move(only)});
}

void Admission::enqueue_replayed(Batch* b, std::shared_ptr<const std::vector<uint32_t>> only) {
  accepted_[static_cast<size_t>(b->platform)] += only->size();
  enqueue(b, std::move(only));
}

void Admission::pump() {
  std::fill(touched_.begin(), touched_.end(), 0);
  while (!backlog_.empty() && feed(backlog_.front())) backlog_.pop_front();
  for (size_t i = 0; i < touched_.size(); ++i)
    if (touched_[i]) d_.lanes->wake(static_cast<int>(i));
  update_reading();
  if (draining_ && backlog_.empty()) finish_drain();
}

// Chunks go round-robin over the app's serving lanes; a lane that cannot
// take a whole chunk passes the rest on to the next. False when every
// serving lane in a row was full: the item stays at the head of the backlog.
// Once its last chunk is pushed a sender may finish the batch and free it
// (wait:false), so nothing of the batch is read after that push.
bool Admission::feed(BacklogItem& it) {
  const int serving = std::max(1, (*apps_)[it.batch->app_id].serving_threads(d_.lanes->count()));
  const uint32_t total = it.total();
  int full = 0;
  while (it.next < total) {
    const uint32_t n = std::min(kChunk, total - it.next);
    const size_t pushed = push_chunk(it, it.rr % serving, n);
    ++it.rr;
    if (pushed == n) {
      full = 0;
    } else if (++full >= serving) {
      return false;
    }
  }
  return true;
}

size_t Admission::push_chunk(BacklogItem& it, int lane, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) scratch_[i] = SendJob{it.batch, it.idx(it.next + i), 0};
  const size_t pushed = d_.lanes->push(lane, scratch_.data(), n);
  if (pushed > 0) touched_[static_cast<size_t>(lane)] = 1;
  it.next += static_cast<uint32_t>(pushed);
  return pushed;
}

void Admission::update_reading() {
  if (!backlog_.empty() && !paused_) {
    paused_ = true;
    d_.reading(true);
  } else if (backlog_.empty() && paused_ && !draining_) {
    paused_ = false;
    d_.reading(false);
    d_.clients->room();
  }
}

// A source reads while nothing waits in the backlog and the senders are at
// most half full (rings plus the jobs they hold, see dispatch::Inbox::push):
// it keeps them fed without pushing the socket into back-pressure by itself, so socket
// clients still get in. (A large entry can still overflow into the backlog;
// then both wait for it to drain.)
bool Admission::may_submit() const {
  if (!backlog_.empty() || draining_ || (d_.store_down && d_.store_down())) return false;
  return d_.lanes->load() * 2 <= d_.lanes->share();
}

void Admission::count_rejected(const ingest::SendRequest& req) {
  if (shard_)
    for (const auto& r : req.rejected_by_code) shard_->counter(d_.families->rejected, {"", r.error})->inc(r.count);
}

void Admission::run_due(const store::ScheduledSend& row, schedule::RowSteps steps) {
  const int64_t now_ms = d_.clock->now_ms();
  auto parsed = parse_line(row.line, d_.scheduler->now_ms());
  if (!parsed.ok()) {
    PGW_LOG(d_.log, Warn, "scheduled send %s no longer parses (%s: %s); dropped",
            ingest::schedule_id_text(row.id).c_str(), parsed.error().code.c_str(), parsed.error().message.c_str());
    steps.done(true);
    return;
  }
  ingest::SendRequest& req = parsed.value();
  if (!req.rejected.empty()) {
    // An app removed or a zone gone since it was accepted: nothing more can
    // be done for these recipients.
    const ingest::Rejection& r = req.rejected.front();
    PGW_LOG(d_.log, Warn, "scheduled send %s: %llu recipients rejected when due (%s: %s)",
            ingest::schedule_id_text(row.id).c_str(), static_cast<unsigned long long>(req.rejected_total),
            r.error.c_str(), r.message.c_str());
    count_rejected(req);
  }
  for (Batch* b : d_.tracker->track_due(row.line, req, row.id, now_ms, steps, *this)) enqueue(b);
  steps.done(true);
  pump();
}

void Admission::drain(int64_t deadline_mono_ns, std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  drained_ = std::move(done);
  if (!paused_) {
    paused_ = true;
    d_.reading(true);
  }
  const int64_t left_ns = std::max<int64_t>(0, deadline_mono_ns - d_.clock->mono_ns());
  deadline_.start(static_cast<uint64_t>((left_ns + 999'999) / 1'000'000));
  pump();
}

void Admission::on_drain_deadline() {
  fail_backlog();
  finish_drain();
}

// Past the deadline: what never reached a sender fails "shutdown" (with a
// spool it stays journaled and is sent after the restart).
void Admission::fail_backlog() {
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
      if (b->wait) d_.tracker->batch_done(b);
      else delete b;
    }
  }
}

void Admission::finish_drain() {
  if (!drained_) return;
  deadline_.stop();
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

AdmissionStats Admission::stats() const {
  AdmissionStats s;
  s.accepted = accepted_;
  for (const auto& it : backlog_) s.backlog += it.total() - it.next;
  return s;
}

}  // namespace pushgw::admission
