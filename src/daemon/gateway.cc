#include "daemon/gateway.h"

#include <algorithm>

#include "daemon/json_out.h"
#include "ingest/send.h"
#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::daemon {

namespace {
constexpr uint32_t kChunk = 256;  // recipients handed to one sender at a time
// Waited requests' ids when a spool is on but journaled nothing: kept apart
// from spool sequence numbers, which waited requests otherwise use.
constexpr uint64_t kUnjournaled = uint64_t{1} << 62;
}  // namespace

std::vector<spool::BatchCount> Gateway::journal_counts(const ingest::SendRequest& req) {
  std::vector<spool::BatchCount> counts;
  for (const auto& b : req.batches)
    if (b->journaled) counts.push_back({b->n, static_cast<uint32_t>(b->recipients.size())});
  return counts;
}

Gateway::Gateway(Deps deps) : d_(std::move(deps)), log_(d_.log_sink, "ingest") {
  const auto& cfg = *d_.config;
  server_ = std::make_unique<ingest::Server>(d_.loop, *this, cfg.server.max_line_bytes, log_);
  server_->set_allowed(cfg.server.allowed_uids, cfg.server.allowed_gids);
  uv_async_init(d_.loop, &notify_, [](uv_async_t* h) { static_cast<Gateway*>(h->data)->on_senders_notified(); });
  notify_.data = this;
  uv_timer_init(d_.loop, &shutdown_timer_);
  shutdown_timer_.data = this;
  uv_timer_init(d_.loop, &schedule_timer_);
  schedule_timer_.data = this;
  id_rng_.seed(std::random_device{}());
  apply_policy(cfg);

  // Rings share max_queued between the senders: that bounds queued memory.
  max_queued_ = cfg.server.max_queued;
  const size_t per_ring = std::max<size_t>(1024, cfg.server.max_queued / static_cast<size_t>(d_.workers));
  for (int i = 0; i < d_.workers; ++i) {
    dispatch::SenderDeps sd;
    sd.index = i;
    sd.threads = d_.workers;
    sd.apps = d_.apps->table;
    sd.tls = d_.tls;
    sd.delivery = cfg.delivery;
    sd.store = d_.store;
    sd.spool = d_.spool;
    sd.delivery_tracking = cfg.store.track_sends;
    sd.caps = d_.caps;
    sd.suspect = d_.suspect;
    sd.allow_cap_override = cfg.policy.allow_cap_override;
    sd.clock = d_.clock;
    sd.log = obs::Logger(d_.log_sink, "sender" + std::to_string(i));
    sd.ring_capacity = per_ring;
    // Each sender's share of max_queued bounds its ring plus every job it
    // holds (in flight, retrying, held, parked): Sender::push refuses past it.
    sd.max_in_flight = std::min(sd.max_in_flight, per_ring);
    sd.notify_ingest = [this] { uv_async_send(&notify_); };
    sd.registry = d_.registry;
    sd.families = d_.families;
    sd.test_hooks = d_.test_hooks;
    senders_.push_back(std::make_unique<dispatch::Sender>(std::move(sd)));
  }
  if (d_.suspect) d_.suspect->update_apps(d_.apps->table);
  if (d_.registry && d_.families) shard_ = std::make_unique<metrics::Shard>(*d_.registry);
  scratch_.resize(kChunk);
  touched_.assign(senders_.size(), 0);
}

Gateway::~Gateway() {
  for (auto& s : senders_) s->join();
  for (auto& it : backlog_) delete it.batch;  // only after a forced stop
}

Result<void> Gateway::listen(const std::string& path, uint32_t mode) { return server_->listen(path, mode); }
Result<void> Gateway::adopt_socket(int fd) { return server_->adopt(fd); }

void Gateway::start() {
  for (auto& s : senders_) s->start();
  next_due_ms_ = schedule_now();  // whatever fell due while the daemon was down
  arm_schedule_timer();
}

void Gateway::on_too_long(uint64_t conn_id) {
  server_->respond(conn_id, error_response("null", "line_too_long", "request line exceeds server.max_line_bytes"));
}

void Gateway::on_close(uint64_t) {}

void Gateway::on_line(uint64_t conn_id, std::string_view line) {
  Result<void> parsed = parser_.parse(line);
  if (!parsed.ok()) {
    server_->respond(conn_id, error_response(parser_.id_json(), parsed.error().code, parsed.error().message));
    return;
  }
  const std::string id_json = parser_.id_json();
  std::string_view op = parser_.op();
  if (op == "send") {
    handle_send(conn_id, id_json, line);
  } else {
    handle_op(conn_id, op, id_json);
  }
}

void Gateway::handle_send(uint64_t conn_id, const std::string& id_json, std::string_view line) {
  if (shutting_down_) {
    reply(conn_id, error_response(id_json, "shutting_down", "the daemon is draining; not accepting"),
          ingest::Answer::Retry);
    return;
  }
  // A spool that cannot write: refuse rather than send unjournaled (a
  // client retrying the answer would duplicate what was sent anyway).
  if (d_.spool && d_.spool->failing()) {
    reply(conn_id,
          error_response(id_json, "spool_failed",
                         "the spool cannot write (disk full?); nothing of this request was sent; retry later"),
          ingest::Answer::Retry);
    return;
  }
  const int64_t now_ms = d_.clock->now_ms();
  auto parsed = ingest::parse_send(parser_.root(), d_.apps->directory, schedule_now(), policy_);
  if (!parsed.ok()) {
    reply(conn_id, error_response(id_json, parsed.error().code, parsed.error().message), ingest::Answer::Rejected);
    return;
  }
  ingest::SendRequest& req = parsed.value();
  // A source's request is done when its recipients are final (so it is
  // waited for), unless a spool makes it durable earlier and nobody wants
  // the results.
  if (from_source(conn_id)) req.wait = d_.spool == nullptr || source_->wants_results();
  if (shard_)
    for (const auto& r : req.rejected_by_code) shard_->counter(d_.families->rejected, {"", r.error})->inc(r.count);
  uint64_t request_id = req.wait ? next_request_id_++ : 0;
  std::vector<spool::BatchCount> counts = journal_counts(req);
  // A wait:false answer waits for what makes the request durable: its spool
  // record and its stored scheduled sends.
  std::shared_ptr<Ack> ack;
  if (!req.wait && ((d_.spool && !counts.empty()) || !req.deferred.empty())) {
    ack = std::make_shared<Ack>();
    ack->conn_id = conn_id;
    ack->id_json = id_json;
    ++acks_pending_;
  }
  // Durable spool: journal the request line before anything is acknowledged.
  // Its sequence number becomes the batches' request_id, which the senders'
  // done markers name. A wait:false answer is sent only after the group
  // commit (ack below); a waited one answers after the outcomes anyway.
  if (d_.spool && !counts.empty()) {
    spool::Spool::CommitFn on_commit;
    if (ack) {
      ++ack->waits;
      on_commit = [this, ack](bool durable) {
        post_to_loop([this, ack, durable] {
          ack->spool_failed |= !durable;
          ack_step(ack);
        });
      };
    } else if (from_source(conn_id) && req.deferred.empty()) {
      // Waited for (results wanted), yet durable once journaled: the source
      // acknowledges it upstream then. Not when some recipients are deferred:
      // those are durable only once the store commits them (replay never
      // re-creates them), so the entry is acknowledged with its final answer.
      ++acks_pending_;
      on_commit = [this, conn_id](bool durable) {
        post_to_loop([this, conn_id, durable] {
          --acks_pending_;
          source_->on_journaled(conn_id & ~kSourceConn, durable);
          if (shutting_down_) check_shutdown();
        });
      };
    }
    request_id = d_.spool->append_accepted(line, now_ms, std::move(counts), std::move(on_commit));
  } else if (d_.spool && request_id != 0) {
    request_id |= kUnjournaled;  // not a spool sequence number: never equal to one
  }
  Waiting w;
  if (req.wait) {
    w.conn_id = conn_id;
    w.id_json = id_json;
    w.accepted = req.accepted;
    w.rejected = std::move(req.rejected);
    w.rejected_total = req.rejected_total;
    w.remaining = req.batches.size() + (req.deferred.empty() ? 0 : 1);
  }
  // Campaign policy: deferred recipients are stored (durably) before the
  // request is answered; their own answer is "scheduled".
  if (!req.deferred.empty()) {
    if (ack) ++ack->waits;
    const bool wait = req.wait;
    std::vector<int64_t> ids = store_deferred(req.deferred, id_rng_(), req.campaign,
                                              [this, ack, request_id, wait](Result<void> r) {
      if (wait) {
        auto it = waiting_.find(request_id);
        if (it != waiting_.end() && !r.ok()) it->second.deferred_error = r.error().message;
        waiting_step(request_id);
        return;
      }
      if (!r.ok()) ack->store_error = r.error().message;
      ack_step(ack);
    });
    if (req.wait) {
      w.deferred = std::move(req.deferred);
      w.deferred_ids = std::move(ids);
    }
  }
  std::vector<Batch*> owned = admit(req, request_id, now_ms);
  if (req.wait) {
    w.batches = owned;
    if (w.remaining == 0) {
      respond_waiting(w);
    } else {
      waiting_.emplace(request_id, std::move(w));
    }
  } else {
    std::string out;
    send_response_head(out, id_json, req.accepted, req.rejected, req.rejected_total);
    if (!req.deferred.empty()) {
      uint32_t scheduled = 0;
      for (const auto& d : req.deferred) scheduled += d.recipients;
      out += ",\"scheduled\":";
      json_num(out, scheduled);
    }
    if (ack) {
      ack->head = std::move(out);  // answered by ack_step()
    } else {
      out += "}";
      reply(conn_id, std::move(out), ingest::Answer::Accepted);
    }
  }
  // Enqueue after the response is queued so wait:false answers promptly; a
  // waited request's batch can only finish after this returns (same thread).
  for (Batch* b : owned) enqueue(b);
  pump();
}

std::vector<Batch*> Gateway::admit(ingest::SendRequest& req, uint64_t request_id, int64_t now_ms) {
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
    accepted_[static_cast<int>(b->platform)] += b->recipients.size();
    if (shard_) {
      const auto& app = (*d_.apps->table)[b->app_id];
      shard_->counter(d_.families->accepted, {to_string(app.platform), app.name})->inc(b->recipients.size());
    }
    owned.push_back(b);
  }
  req.batches.clear();
  return owned;
}

void Gateway::ack_step(const std::shared_ptr<Ack>& a) {
  if (--a->waits > 0) return;
  --acks_pending_;
  if (a->spool_failed) {
    reply(a->conn_id,
          error_response(a->id_json, "spool_failed", "the spool cannot write; the batch may or may not be sent"),
          ingest::Answer::Retry);
  } else if (!a->store_error.empty()) {
    reply(a->conn_id,
          error_response(a->id_json, "store_failed",
                         "scheduled recipients were not stored (" + a->store_error + "); the others are being sent"),
          ingest::Answer::Retry);
  } else {
    a->head += "}";
    reply(a->conn_id, std::move(a->head), ingest::Answer::Accepted);
  }
  if (shutting_down_) check_shutdown();
}

void Gateway::enqueue(Batch* b) {
  backlog_.push_back(BacklogItem{b, 0, rr_++});
}

void Gateway::pump() {
  std::fill(touched_.begin(), touched_.end(), 0);
  const int workers = static_cast<int>(senders_.size());
  while (!backlog_.empty()) {
    BacklogItem& it = backlog_.front();
    Batch* b = it.batch;
    const uint32_t total = it.total();
    const int serving = std::max(1, (*d_.apps->table)[b->app_id].serving_threads(workers));
    bool full = false;
    while (it.next < total) {
      const int t = it.rr % serving;
      const uint32_t n = std::min(kChunk, total - it.next);
      for (uint32_t i = 0; i < n; ++i) scratch_[i] = SendJob{b, it.idx(it.next + i), 0};
      const size_t pushed = senders_[static_cast<size_t>(t)]->push(scratch_.data(), n);
      if (pushed > 0) touched_[static_cast<size_t>(t)] = 1;
      it.next += static_cast<uint32_t>(pushed);
      if (pushed < n) {
        // This sender is full; try the next serving thread before giving up.
        ++it.rr;
        full = true;
        for (int k = 1; k < serving && full; ++k) {
          const int t2 = it.rr % serving;
          const uint32_t n2 = std::min(kChunk, total - it.next);
          for (uint32_t i = 0; i < n2; ++i) scratch_[i] = SendJob{b, it.idx(it.next + i), 0};
          const size_t p2 = senders_[static_cast<size_t>(t2)]->push(scratch_.data(), n2);
          if (p2 > 0) touched_[static_cast<size_t>(t2)] = 1;
          it.next += static_cast<uint32_t>(p2);
          if (p2 == n2) full = false;
          else ++it.rr;
        }
        if (full) break;
      } else {
        ++it.rr;
      }
    }
    if (full) break;
    backlog_.pop_front();
  }
  for (size_t i = 0; i < senders_.size(); ++i)
    if (touched_[i]) senders_[i]->wake();
  if (!backlog_.empty() && !reading_paused_) {
    reading_paused_ = true;
    server_->pause_reading();
  } else if (backlog_.empty() && reading_paused_ && !shutting_down_) {
    reading_paused_ = false;
    server_->resume_reading();
    if (source_) source_->on_room();
  }
}

void Gateway::on_senders_notified() {
  run_posted();
  Batch* done[256];
  for (auto& s : senders_) {
    size_t n;
    while ((n = s->completions().pop_many(done, 256)) > 0)
      for (size_t i = 0; i < n; ++i) batch_done(done[i]);
  }
  if (!backlog_.empty()) pump();
  if (shutting_down_) check_shutdown();
}

void Gateway::batch_done(Batch* b) {
  if (waiting_.find(b->request_id) == waiting_.end()) {  // cannot happen: waited batches are registered first
    delete b;
    return;
  }
  waiting_step(b->request_id);
}

void Gateway::waiting_step(uint64_t rid) {
  auto it = waiting_.find(rid);
  if (it == waiting_.end() || --it->second.remaining > 0) return;
  if (d_.store == nullptr) {
    request_done(rid);
    return;
  }
  // Verdicts reported in the response must be durable first (kill -9 safety).
  d_.store->after_commit([this, rid] { post_to_loop([this, rid] { request_done(rid); }); });
}

void Gateway::request_done(uint64_t request_id) {
  auto it = waiting_.find(request_id);
  if (it == waiting_.end()) return;
  respond_waiting(it->second);
  for (Batch* b : it->second.batches) delete b;
  waiting_.erase(it);
  if (shutting_down_) check_shutdown();
}

void Gateway::post_to_loop(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> g(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  uv_async_send(&notify_);
}

void Gateway::run_posted() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> g(posted_mu_);
    fns.swap(posted_);
  }
  for (auto& f : fns) f();
}

Result<std::vector<FcmCredential>> Gateway::reload(std::shared_ptr<const settings::Settings> cfg) {
  if (auto p = check_policy(*cfg); !p.ok()) return p.error();
  auto fresh = build_apps(*cfg);
  if (!fresh.ok()) return fresh.error();
  std::vector<std::string> changes;
  std::unique_ptr<Apps> merged = merge_apps(*d_.apps, std::move(*fresh.value()), changes);
  // Senders first: a job for a new id may be pushed right after this.
  for (auto& s : senders_) s->update_apps(merged->table);
  // A changed app has a new id, so a fresh suspect state: a reload clears it.
  if (d_.suspect) d_.suspect->update_apps(merged->table);
  std::vector<FcmCredential> creds = merged->fcm_credentials;
  d_.apps = std::move(merged);
  apply_policy(*cfg);  // quiet hours and default_tz apply to requests from now on
  d_.config = std::move(cfg);
  for (const auto& c : changes) PGW_LOG(log_, Info, "reload: %s", c.c_str());
  if (changes.empty()) PGW_LOG(log_, Info, "reload: no app changed");
  return creds;
}

uint64_t Gateway::connections() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->stats().connections.load(std::memory_order_relaxed);
  return n;
}

uint64_t Gateway::streams_in_flight() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->stats().streams_in_flight.load(std::memory_order_relaxed);
  return n;
}

std::vector<const std::atomic<uint64_t>*> Gateway::sender_heartbeats() const {
  std::vector<const std::atomic<uint64_t>*> out;
  for (const auto& s : senders_) out.push_back(&s->stats().loop_turns);
  return out;
}

std::string Gateway::status_line() const {
  uint64_t delivered = 0, failed = 0;
  for (const auto& s : senders_)
    for (int p = 0; p < kPlatformCount; ++p) {
      delivered += s->stats().platform[p].delivered.load(std::memory_order_relaxed);
      failed += s->stats().platform[p].failed.load(std::memory_order_relaxed);
    }
  uint64_t accepted = accepted_[0] + accepted_[1] + accepted_[2];
  return "accepted " + std::to_string(accepted) + ", delivered " + std::to_string(delivered) + ", failed " +
         std::to_string(failed) + ", queued " + std::to_string(queue_depth()) + ", connections " +
         std::to_string(connections());
}

uint64_t Gateway::queue_depth() const {
  uint64_t q = 0;
  for (const auto& s : senders_) q += s->ring_size() + s->stats().queued.load(std::memory_order_relaxed);
  for (const auto& it : backlog_) q += it.total() - it.next;
  return q;
}

}  // namespace pushgw::daemon
