#include "admission/request_tracker.h"

#include "admission/answers.h"
#include "ingest/json_out.h"

namespace pushgw::admission {

namespace {

// Waited requests' ids when a spool is on but journaled nothing: kept apart
// from spool sequence numbers, which waited requests otherwise use.
constexpr uint64_t kUnjournaled = uint64_t{1} << 62;

// The spool record's entries: batches ingest already finished (expired
// while scheduled) are not journaled.
std::vector<spool::BatchCount> journal_counts(const ingest::SendRequest& req) {
  std::vector<spool::BatchCount> counts;
  for (const auto& b : req.batches)
    if (b->journaled) counts.push_back({b->n, static_cast<uint32_t>(b->recipients.size())});
  return counts;
}

}  // namespace

RequestTracker::RequestTracker(Deps deps) : d_(std::move(deps)) {}

RequestTracker::~RequestTracker() {
  for (auto& [id, w] : waiting_)
    for (Batch* b : w.batches) delete b;
}

std::vector<Batch*> RequestTracker::track(uint64_t conn_id, const std::string& id_json, std::string_view line,
                                          ingest::SendRequest& req, int64_t now_ms, Admitter& admitter) {
  std::vector<spool::BatchCount> counts = journaling() ? journal_counts(req) : std::vector<spool::BatchCount>{};
  const bool journaled = !counts.empty();
  std::shared_ptr<Ack> ack = req.wait ? nullptr : open_ack(conn_id, id_json, req, journaled);
  uint64_t request_id = req.wait ? next_request_id_++ : 0;
  // Durable spool: journal the request line before anything is acknowledged.
  // Its sequence number becomes the batches' request_id, which the senders'
  // done markers name.
  if (journaled) request_id = journal(conn_id, line, req, now_ms, std::move(counts), ack);
  else if (journaling() && request_id != 0) request_id |= kUnjournaled;  // never equal to a sequence number
  Waiting w;
  if (req.wait) w = open_waiting(conn_id, id_json, req);
  keep_deferred(req, request_id, ack, req.wait ? &w : nullptr);
  std::vector<Batch*> owned = admitter.admit(req, request_id, now_ms);
  if (!req.wait) {
    answer_accepted(conn_id, id_json, req, ack);
  } else {
    w.batches = owned;
    if (w.remaining == 0) {
      respond(w);  // nobody accepted: nothing to wait for
    } else {
      waiting_.emplace(request_id, std::move(w));
    }
  }
  return owned;
}

// A wait:false answer waits for what makes the request durable: its spool
// record and its stored scheduled sends.
std::shared_ptr<RequestTracker::Ack> RequestTracker::open_ack(uint64_t conn_id, const std::string& id_json,
                                                              const ingest::SendRequest& req, bool journaled) {
  if (!journaled && req.deferred.empty()) return nullptr;
  auto ack = std::make_shared<Ack>();
  ack->conn_id = conn_id;
  ack->id_json = id_json;
  return ack;
}

// A wait:false answer is sent only after the group commit; a waited one
// answers after the outcomes anyway, except that a source acknowledges a
// waited request upstream once it is journaled.
uint64_t RequestTracker::journal(uint64_t conn_id, std::string_view line, const ingest::SendRequest& req,
                                 int64_t now_ms, std::vector<spool::BatchCount> counts, const std::shared_ptr<Ack>& ack) {
  std::function<void(bool)> on_commit;
  if (ack) {
    ++ack->waits;
    on_commit = d_.inbox->bind<bool>(d_.work->hold(), [this, ack](bool durable) {
      ack->spool_failed |= !durable;
      ack_step(ack);
    });
  } else if (Clients::is_source(conn_id) && req.deferred.empty()) {
    // Not when some recipients are deferred: those are durable only once the
    // store commits them (replay never re-creates them), so the entry is
    // acknowledged with its final answer.
    on_commit = d_.inbox->bind<bool>(d_.work->hold(),
                                     [this, conn_id](bool durable) { d_.clients->journaled(conn_id, durable); });
  }
  return d_.journal(line, now_ms, std::move(counts), std::move(on_commit));
}

RequestTracker::Waiting RequestTracker::open_waiting(uint64_t conn_id, const std::string& id_json,
                                                     ingest::SendRequest& req) {
  Waiting w;
  w.conn_id = conn_id;
  w.id_json = id_json;
  w.accepted = req.accepted;
  w.rejected = std::move(req.rejected);
  w.rejected_total = req.rejected_total;
  w.remaining = req.batches.size() + (req.deferred.empty() ? 0 : 1);
  w.pending = d_.answers->hold();
  return w;
}

// Campaign policy: deferred recipients are stored (durably) before the
// request is answered; their own answer is "scheduled".
void RequestTracker::keep_deferred(ingest::SendRequest& req, uint64_t request_id, const std::shared_ptr<Ack>& ack,
                                   Waiting* w) {
  if (req.deferred.empty()) return;
  if (ack) ++ack->waits;
  const bool wait = w != nullptr;
  std::vector<int64_t> ids = d_.scheduler->keep(req.deferred, d_.scheduler->new_parent(), req.campaign,
                                                [this, ack, request_id, wait](Result<void> r) {
    if (wait) {
      auto it = waiting_.find(request_id);
      if (it != waiting_.end() && !r.ok()) it->second.deferred_error = r.error().message;
      step(request_id);
      return;
    }
    if (!r.ok()) ack->store_error = r.error().message;
    ack_step(ack);
  });
  if (wait) {
    w->deferred = std::move(req.deferred);
    w->deferred_ids = std::move(ids);
  }
}

void RequestTracker::answer_accepted(uint64_t conn_id, const std::string& id_json, const ingest::SendRequest& req,
                                     const std::shared_ptr<Ack>& ack) {
  std::string out;
  ingest::send_response_head(out, id_json, req.accepted, req.rejected, req.rejected_total);
  if (!req.deferred.empty()) {
    uint32_t scheduled = 0;
    for (const auto& d : req.deferred) scheduled += d.recipients;
    out += ",\"scheduled\":";
    ingest::json_num(out, scheduled);
  }
  if (ack) {
    ack->head = std::move(out);  // answered by ack_step()
    return;
  }
  out += "}";
  d_.clients->answer(conn_id, std::move(out), ingest::Answer::Accepted);
}

std::vector<Batch*> RequestTracker::track_due(std::string_view line, ingest::SendRequest& req, int64_t row_id,
                                              int64_t now_ms, const schedule::RowSteps& steps, Admitter& admitter) {
  // One step for "what it sent cannot be lost": the first of the spool
  // record or the committed outcomes completes it; a failed spool write
  // leaves it to the outcomes.
  steps.add();
  auto sent = std::make_shared<bool>(false);
  auto sent_done = [steps, sent](bool ok) {
    if (*sent) return;
    *sent = true;
    steps.done(ok);
  };
  req.wait = true;
  uint64_t request_id = next_request_id_++;
  std::vector<spool::BatchCount> counts = journaling() ? journal_counts(req) : std::vector<spool::BatchCount>{};
  if (!counts.empty()) {
    request_id = d_.journal(line, now_ms, std::move(counts),
                            d_.inbox->bind<bool>(d_.work->hold(), [sent_done](bool durable) {
                              if (durable) sent_done(true);
                            }));
  } else if (journaling()) {
    request_id |= kUnjournaled;  // never equal to a sequence number
  }
  if (!req.deferred.empty()) {
    steps.add();
    d_.scheduler->keep(req.deferred, static_cast<uint64_t>(row_id), req.campaign,
                       [steps](Result<void> r) { steps.done(r.ok()); });
  }
  Waiting w;
  w.remaining = req.batches.size();
  w.pending = d_.answers->hold();
  w.on_final = [sent_done](bool finished) { sent_done(finished); };
  std::vector<Batch*> owned = admitter.admit(req, request_id, now_ms);
  w.batches = owned;
  if (w.remaining == 0) {
    sent_done(true);  // nothing to send now (expired, rejected or held again)
  } else {
    waiting_.emplace(request_id, std::move(w));
  }
  return owned;
}

void RequestTracker::batch_done(Batch* b) {
  if (waiting_.find(b->request_id) == waiting_.end()) {  // cannot happen: waited batches are registered first
    delete b;
    return;
  }
  step(b->request_id);
}

// One step of a waited request is done (a batch final, or its deferred
// recipients stored); at the last, its answer follows the verdicts' commit.
void RequestTracker::step(uint64_t request_id) {
  auto it = waiting_.find(request_id);
  if (it == waiting_.end() || --it->second.remaining > 0) return;
  if (!d_.after_commit) {
    finish(request_id);
    return;
  }
  // Verdicts reported in the answer must be durable first (kill -9 safety).
  d_.after_commit(d_.inbox->bind<>(d_.answers->hold(), [this, request_id] { finish(request_id); }));
}

void RequestTracker::finish(uint64_t request_id) {
  auto it = waiting_.find(request_id);
  if (it == waiting_.end()) return;
  if (it->second.on_final) {
    // (A durable spool record has completed the row's step already.)
    it->second.on_final(!interrupted(it->second));
  } else {
    respond(it->second);
  }
  for (Batch* b : it->second.batches) delete b;
  waiting_.erase(it);
}

void RequestTracker::ack_step(const std::shared_ptr<Ack>& a) {
  if (--a->waits > 0) return;
  if (a->spool_failed) {
    d_.clients->answer(a->conn_id,
                       ingest::error_response(a->id_json, "spool_failed",
                                              "the spool cannot write; the batch may or may not be sent"),
                       ingest::Answer::Retry);
  } else if (!a->store_error.empty()) {
    d_.clients->answer(a->conn_id,
                       ingest::error_response(a->id_json, "store_failed",
                                              "scheduled recipients were not stored (" + a->store_error +
                                                  "); the others are being sent"),
                       ingest::Answer::Retry);
  } else {
    a->head += "}";
    d_.clients->answer(a->conn_id, std::move(a->head), ingest::Answer::Accepted);
  }
}

void RequestTracker::respond(Waiting& w) {
  std::string out;
  ingest::send_response_head(out, w.id_json, w.accepted, w.rejected, w.rejected_total);
  const bool source = Clients::is_source(w.conn_id);
  if (source && !d_.clients->source_wants_results()) {
    out += "}";  // the source only needs to know the request is done
  } else {
    out += ",\"results\":[";
    bool first = true;
    for (const Batch* b : w.batches) {
      for (uint32_t i = 0; i < b->recipients.size(); ++i) {
        if (!first) out.push_back(',');
        first = false;
        append_result(out, *b, i, journaling());
      }
    }
    // Scheduled recipients answer at once: their send is days away perhaps.
    for (size_t g = 0; g < w.deferred.size(); ++g) {
      for (const std::string& target : w.deferred[g].targets) {
        if (!first) out.push_back(',');
        first = false;
        append_scheduled(out, w.deferred[g], target, w.deferred_ids[g], w.deferred_error);
      }
    }
    out += "]}";
  }
  d_.clients->answer(w.conn_id, std::move(out), source ? source_answer(w) : ingest::Answer::Final);
}

// Without a spool, a recipient failed by the drain is not done; nor are
// scheduled recipients the store could not keep. The source leaves such a
// request unacknowledged, to be delivered again (at least once).
ingest::Answer RequestTracker::source_answer(const Waiting& w) const {
  const bool cut = !w.deferred_error.empty() || (!journaling() && interrupted(w));
  return cut ? ingest::Answer::Interrupted : ingest::Answer::Final;
}

// Some recipient was failed by the drain rather than sent.
bool RequestTracker::interrupted(const Waiting& w) {
  for (const Batch* b : w.batches)
    for (const ResultSlot& r : b->results)
      if (r.status == Status::Failed && r.reason == "shutdown") return true;
  return false;
}

}  // namespace pushgw::admission
