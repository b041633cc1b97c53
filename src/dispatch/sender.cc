#include "dispatch/sender.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "spool/spool.h"
#include "store/key_hash.h"
#include "store/ring_wait.h"
#include "store/store.h"

namespace pushgw::dispatch {

struct Sender::InFlight {
  SendJob job;
  int64_t submit_ns = 0;
  pool::Pool* pool = nullptr;
  OriginGuard* guard = nullptr;  // the pool's circuit breaker
  bool probe = false;            // this request is the breaker's half-open probe
  HttpRequest req;
  HttpResponse resp;
};

namespace {
constexpr size_t kDrainChunk = 1024;
constexpr int64_t kHousekeepingMs = 250;
constexpr int64_t kHeldScanMs = 1000;  // how often held jobs are checked against their retry window
constexpr uint16_t kMaxUnprocessedResends = 64;  // see on_transport_error

store::Kind store_kind(Status st) {
  switch (st) {
    case Status::Delivered: return store::Kind::Delivered;
    case Status::Invalid: return store::Kind::Invalid;
    case Status::Unsubscribed: return store::Kind::Unsubscribed;
    case Status::Suppressed: return store::Kind::Suppressed;
    case Status::Capped: return store::Kind::Capped;
    case Status::Expired: return store::Kind::Expired;
    default: return store::Kind::Failed;
  }
}
}  // namespace

Sender::Sender(SenderDeps deps)
    : d_(std::move(deps)),
      ring_(d_.ring_capacity),
      completions_(std::max<size_t>(1024, d_.ring_capacity / 4)),
      rng_(std::random_device{}() ^ (static_cast<uint64_t>(d_.index) << 32)) {
  if (!d_.pools) d_.pools = pool::h2_pools(d_.tls, *d_.clock);
  policy_.max_attempts = d_.delivery.max_attempts;
  policy_.max_retry_ms = int64_t{d_.delivery.max_retry_seconds} * 1000;
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &wake_, [](uv_async_t* h) { static_cast<Sender*>(h->loop->data)->drain(); });
  uv_timer_init(&loop_, &retry_timer_);
  uv_timer_init(&loop_, &housekeeping_);
  uv_check_init(&loop_, &after_io_);
  apps_ = d_.apps;
  providers_.resize(apps_->size());
  fixed_pools_.assign(apps_->size(), nullptr);
  for (const AppRuntime& app : *d_.apps) providers_[app.app_id] = app.make_provider();
  drain_buf_.resize(kDrainChunk);
  metrics_ = std::make_unique<SenderMetrics>(d_.registry, d_.families, *d_.apps);
  origins_ = std::make_unique<WebPushOrigins>(&loop_, d_.log, [this](WebPushOrigins::Entry& e) {
    std::vector<SendJob> jobs;
    jobs.swap(e.parked);
    const int64_t now = d_.clock->now_ms();
    begin_drain_providers(now);
    for (const SendJob& j : jobs) send_one(j, now);
    for (pool::Pool* p : dirty_pools_) p->flush();
    dirty_pools_.clear();
  });
}

Sender::~Sender() {
  join();
  for (auto* b : completion_backlog_) delete b;
  uv_loop_close(&loop_);
}

void Sender::start() {
  thread_ = std::thread([this] { run(); });
}

void Sender::wake() { uv_async_send(&wake_); }

void Sender::request_stop(int64_t deadline_mono_ns) {
  stop_deadline_ns_.store(deadline_mono_ns, std::memory_order_relaxed);
  stop_requested_.store(true, std::memory_order_release);
  uv_async_send(&wake_);
}

void Sender::update_apps(std::shared_ptr<const AppTable> apps) {
  {
    std::lock_guard<std::mutex> g(pending_apps_mu_);
    pending_apps_ = std::move(apps);
  }
  apps_pending_.store(true, std::memory_order_release);
  uv_async_send(&wake_);
}

void Sender::apply_pending_apps() {
  if (!apps_pending_.exchange(false, std::memory_order_acquire)) return;
  std::shared_ptr<const AppTable> next;
  {
    std::lock_guard<std::mutex> g(pending_apps_mu_);
    next = std::move(pending_apps_);
  }
  if (!next) return;
  // Ids only grow: existing providers and pools (and their connections) stay.
  const size_t old = apps_->size();
  apps_ = std::move(next);
  providers_.resize(apps_->size());
  fixed_pools_.resize(apps_->size(), nullptr);
  for (size_t i = old; i < apps_->size(); ++i) providers_[i] = (*apps_)[i].make_provider();
  metrics_->grow(*apps_);
}

void Sender::test_stall(int ms) {
  if (d_.test_hooks) stall_ms_.store(ms, std::memory_order_relaxed);
}

void Sender::join() {
  if (thread_.joinable()) thread_.join();
}

void Sender::run() {
  uv_check_start(&after_io_, [](uv_check_t* h) {
    auto* self = static_cast<Sender*>(h->loop->data);
    if (self->need_drain_) {
      self->need_drain_ = false;
      self->drain();
    }
    self->flush_spool();  // one append per loop turn, whatever finished in it
  });
  uv_timer_start(
      &housekeeping_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Sender*>(t->loop->data);
        if (int ms = self->stall_ms_.exchange(0); ms > 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // test hook: a stuck loop
        SenderStats::add(self->stats_.loop_turns);
        self->publish_stats();
        self->flush_completions();
        self->tick_guards(self->d_.clock->now_ms());  // breaker probes, held jobs' retry windows
        self->drain();  // catches a doorbell that raced with a full in-flight window
        self->flush_spool();
      },
      kHousekeepingMs, kHousekeepingMs);
  uv_run(&loop_, UV_RUN_DEFAULT);
  stopped_.store(true, std::memory_order_release);
}

void Sender::begin_drain_providers(int64_t now_ms) {
  for (auto& p : providers_)
    if (p) p->begin_drain(now_ms);
}

void Sender::drain() {
  if (pools_closing_) return;
  apply_pending_apps();
  const int64_t now = d_.clock->now_ms();
  bool began = false;
  size_t popped_total = 0;
  while (in_flight_ < d_.max_in_flight) {
    size_t room = std::min(kDrainChunk, d_.max_in_flight - in_flight_);
    size_t n = ring_.pop_many(drain_buf_.data(), room);
    if (n == 0) break;
    if (!began) {
      begin_drain_providers(now);
      began = true;
    }
    popped_total += n;
    SenderStats::add(stats_.queued, n);
    for (size_t i = 0; i < n; ++i)
      if (admit_policy(drain_buf_[i], now)) send_one(drain_buf_[i], now);
  }
  for (pool::Pool* p : dirty_pools_) p->flush();
  dirty_pools_.clear();
  if (popped_total > 0 && d_.notify_ingest) d_.notify_ingest();
  flush_completions();
  if (stop_requested_.load(std::memory_order_acquire)) maybe_finish_stop();
}

pool::Pool* Sender::webpush_pool(const SendJob& job, std::string_view origin, int64_t) {
  const AppRuntime& app = (*apps_)[job.batch->app_id];
  WebPushOrigins::Entry& e = origins_->lookup(app.app_id, origin, app.allow_private_endpoints);
  switch (e.state) {
    case WebPushOrigins::State::Ready:
      return pool_for(app.app_id, origin, e.ip);
    case WebPushOrigins::State::Refused:
      finish(job, Status::Failed, 0, "endpoint_refused", {}, 0);
      return nullptr;
    case WebPushOrigins::State::Resolving:
      e.parked.push_back(job);
      return nullptr;
  }
  return nullptr;
}

void Sender::park(const SendJob& job, int64_t now_ms) {
  // No credential yet (FCM access token being fetched): wait without using
  // up an attempt, but never beyond the retry window.
  const Batch& b = *job.batch;
  if (now_ms > b.accepted_ms + policy_.max_retry_ms || (b.expires_at_ms > 0 && now_ms >= b.expires_at_ms)) {
    finish(job, Status::Failed, 0, "credential_unavailable", {}, 0);
    return;
  }
  retries_.push(RetryItem{now_ms + 100, job});
  arm_retry_timer();
}

pool::Pool* Sender::pool_for(uint16_t app_id, std::string_view origin, const std::string& connect_ip) {
  pool::Pool* fixed = fixed_pools_[app_id];
  if (fixed) return fixed;
  const AppRuntime& app = (*apps_)[app_id];
  std::string key = std::to_string(app_id);
  key.push_back('|');
  key.append(origin);
  auto it = pools_.find(key);
  if (it != pools_.end()) return it->second.get();

  pool::PoolOptions o;
  size_t colon = origin.rfind(':');
  o.host.assign(origin.substr(0, colon));
  if (!o.host.empty() && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  o.port = colon == std::string_view::npos ? 443 : static_cast<uint16_t>(std::stoi(std::string(origin.substr(colon + 1))));
  o.max_connections = std::max(1, app.connections_for(d_.index, d_.threads));
  o.connect_timeout_ms = d_.delivery.connect_timeout_ms;
  o.request_timeout_ms = d_.delivery.request_timeout_ms;
  o.ping_interval_ms = d_.delivery.ping_interval_ms;
  o.idle_timeout_ms = d_.delivery.idle_timeout_ms;
  o.allow_http1 = app.allow_http1;
  o.connect_ip = connect_ip;
  auto p = d_.pools(&loop_, std::move(o), *this, obs::Logger(d_.log.sink(), "pool/" + app.name));
  pool::Pool* raw = p.get();
  pools_.emplace(std::move(key), std::move(p));
  if (app.platform != Platform::WebPush) fixed_pools_[app_id] = raw;
  return raw;
}

// Runs once per recipient (jobs from the ring; retries, held and parked jobs
// never come back here), so an admitted send is counted exactly once.
// Transactional sends, expired ones (send_one reports them) and known-dead
// tokens (suppressed by send_one) never touch the caps.
bool Sender::admit_policy(const SendJob& job, int64_t now_ms) {
  const Batch& b = *job.batch;
  if (!b.marketing || d_.caps == nullptr || !d_.caps->limits().enabled()) return true;
  if (b.cap_override && d_.allow_cap_override) return true;
  if (b.expires_at_ms > 0 && now_ms >= b.expires_at_ms) return true;
  if (b.app_id >= apps_->size()) apply_pending_apps();
  const std::string& app = (*apps_)[b.app_id].name;
  const std::string_view token = b.token(job.idx);
  if (d_.store && d_.store->check(b.platform, app, token, b.recipients[job.idx].registered_at_ms) ==
                      store::Store::Check::Suppressed)
    return true;
  if (!d_.caps->admit(store::key_hash(b.platform, app, token), now_ms)) {
    finish(job, Status::Capped, 0, "capped", {}, 0);
    return false;
  }
  if (d_.store) {
    store::Outcome o;
    o.platform = b.platform;
    o.app = app;
    o.token = token;
    o.campaign = b.campaign;
    o.kind = store::Kind::MarketingSent;
    o.at_ms = now_ms;
    for (store::RingWait wait; !d_.store->record(d_.index, o);) wait();
  }
  return true;
}

void Sender::send_one(const SendJob& job, int64_t now_ms) {
  Batch& b = *job.batch;
  // A job for an app added by a reload is pushed only after the new table
  // was published (ring release/acquire orders the two), so applying here
  // always finds it.
  if (b.app_id >= apps_->size()) apply_pending_apps();
  if (b.expires_at_ms > 0 && now_ms >= b.expires_at_ms) {
    finish(job, Status::Expired, 0, "expired", {}, 0);
    return;
  }
  const AppRuntime& app = (*apps_)[b.app_id];
  if (d_.store && job.attempt == 0) {
    const int64_t reg = b.recipients[job.idx].registered_at_ms;
    switch (d_.store->check(b.platform, app.name, b.token(job.idx), reg)) {
      case store::Store::Check::Clear:
        break;
      case store::Store::Check::Suppressed:
        finish(job, Status::Suppressed, 0, "suppressed", {}, 0);
        return;
      case store::Store::Check::Lifted: {
        // APNs: the device registered after the 410: send, and the token is active again.
        store::Outcome o;
        o.platform = b.platform;
        o.app = app.name;
        o.token = b.token(job.idx);
        o.campaign = b.campaign;
        o.kind = store::Kind::Reactivated;
        o.since_ms = reg;
        o.at_ms = now_ms;
        for (store::RingWait wait; !d_.store->record(d_.index, o);) wait();
        break;
      }
    }
  }
  Provider& prov = *providers_[b.app_id];
  pool::Pool* pool = nullptr;
  if (b.platform == Platform::WebPush) {
    // Resolve and check the origin before paying for the encryption.
    pool = webpush_pool(job, prov.origin(b, job.idx), now_ms);
    if (!pool) return;
  } else {
    pool = pool_for(b.app_id, prov.origin(b, job.idx), std::string());
  }
  // Circuit breaker: while the origin's breaker is open the job waits for the
  // probe's outcome without using up an attempt (tick_guards bounds the wait
  // by the retry window); in half-open exactly one request goes, as the probe.
  OriginGuard& guard = guard_for(pool);
  const CircuitBreaker::Admit admit = guard.admit();
  if (admit == CircuitBreaker::Admit::Hold) {
    guard.hold(job);
    return;
  }
  InFlight* f;
  if (!free_in_flight_.empty()) {
    f = free_in_flight_.back();
    free_in_flight_.pop_back();
  } else {
    in_flight_store_.push_back(std::make_unique<InFlight>());
    f = in_flight_store_.back().get();
  }
  f->job = job;
  f->req.clear();
  f->resp.clear();
  Result<void> built = prov.build(b, job.idx, now_ms, f->req);
  if (!built.ok()) {
    free_in_flight_.push_back(f);
    if (admit == CircuitBreaker::Admit::Probe) guard.probe_abandoned();
    if (built.error().code == "credential_unavailable") park(job, now_ms);
    else finish(job, Status::Failed, 0, built.error().code, {}, 0);
    return;
  }
  f->pool = pool;
  f->guard = &guard;
  f->probe = admit == CircuitBreaker::Admit::Probe;
  ++in_flight_;
  f->submit_ns = d_.clock->mono_ns();
  if (std::find(dirty_pools_.begin(), dirty_pools_.end(), f->pool) == dirty_pools_.end())
    dirty_pools_.push_back(f->pool);
  f->pool->submit(&f->req, &f->resp, f);
}

void Sender::release_in_flight(InFlight* f) {
  --in_flight_;
  free_in_flight_.push_back(f);
}

void Sender::on_complete(void* user, HttpRequest&, HttpResponse& resp, pool::TransportError err,
                         uint32_t conn_id) {
  auto* f = static_cast<InFlight*>(user);
  const int64_t now = d_.clock->now_ms();
  // Circuit breaker: any HTTP answer proves the origin is processing;
  // connection-level failures count against it (see OriginGuard).
  if (OriginGuard* g = f->guard) {
    if (err == pool::TransportError::None) {
      if (g->on_response(f->probe)) release_held(*g, now);
    } else {
      g->on_transport_error(err, conn_id, f->pool->stats().connect_failures, f->probe);
      // A probe that never got a connection goes back to the held jobs:
      // probing on the breaker's behalf must not use up its attempts.
      const bool no_connection = err == pool::TransportError::ConnectFailed ||
                                 err == pool::TransportError::TlsHandshakeFailed ||
                                 err == pool::TransportError::TlsVerifyFailed;
      if (f->probe && no_connection && g->breaker().state() != CircuitBreaker::State::Closed) {
        const SendJob job = f->job;
        release_in_flight(f);
        g->hold(job);
        need_drain_ = true;
        return;
      }
    }
  }
  if (err != pool::TransportError::None) {
    on_transport_error(f, err, now);
  } else {
    const int64_t mono = d_.clock->mono_ns();
    const int64_t provider_ns = mono - f->submit_ns;
    stats_.provider_latency.record_ns(provider_ns);
    const AppRuntime& app = (*apps_)[f->job.batch->app_id];
    metrics_->provider_latency(app, static_cast<double>(provider_ns) * 1e-9);
    Verdict v = providers_[f->job.batch->app_id]->classify(resp, now);
    if (v.kind != VerdictKind::Retry) {
      const int64_t e2e = mono - f->job.batch->accepted_mono_ns;
      stats_.e2e_latency.record_ns(e2e);
      stats_.gateway_latency.record_ns(e2e - provider_ns);
      metrics_->gateway_latency(app, static_cast<double>(e2e - provider_ns) * 1e-9);
    }
    on_verdict(f, v, conn_id, now);
  }
  // Completions free stream slots and in-flight room: refill after this I/O
  // pass (check handle), not from inside the pool's callback.
  need_drain_ = true;
}

void Sender::on_verdict(InFlight* f, const Verdict& v, uint32_t conn_id, int64_t now_ms) {
  SendJob job = f->job;
  pool::Pool* pool = f->pool;
  release_in_flight(f);
  if (v.close_connection && conn_id != 0) pool->retire(conn_id);
  if (v.refresh_credential) providers_[job.batch->app_id]->credential_rejected(now_ms);
  switch (v.kind) {
    case VerdictKind::Delivered:
      finish(job, Status::Delivered, v.http_status, {}, v.id, 0);
      return;
    case VerdictKind::Invalid:
      finish(job, Status::Invalid, v.http_status, v.reason, v.id, 0);
      return;
    case VerdictKind::Unsubscribed:
      finish(job, Status::Unsubscribed, v.http_status, v.reason, v.id, v.since_ms);
      return;
    case VerdictKind::Failed:
      finish(job, Status::Failed, v.http_status, v.reason, v.id, 0);
      return;
    case VerdictKind::Retry:
      retry(job, v.refresh_credential ? 0 : v.retry_after_ms, v.min_retry_ms, v.reason, v.http_status, now_ms);
      return;
  }
}

void Sender::on_transport_error(InFlight* f, pool::TransportError err, int64_t now_ms) {
  SendJob job = f->job;
  release_in_flight(f);
  if (err == pool::TransportError::Shutdown) {
    finish(job, Status::Failed, 0, "shutdown", {}, 0);
    return;
  }
  // The peer never saw it (REFUSED_STREAM, above GOAWAY's last id): resend at
  // once on whatever connection is usable without using up an attempt, within
  // the retry window and expiry. Past kMaxUnprocessedResends it counts as an
  // attempt again, so a peer that refuses forever cannot loop us.
  const bool unprocessed =
      err == pool::TransportError::RefusedStream || err == pool::TransportError::GoawayUnprocessed;
  const Batch& b = *job.batch;
  if (unprocessed && job.unprocessed < kMaxUnprocessedResends && now_ms <= b.accepted_ms + policy_.max_retry_ms &&
      (b.expires_at_ms == 0 || now_ms < b.expires_at_ms)) {
    SenderStats::add(stats_.platform[static_cast<int>(b.platform)].retried);
    metrics_->retry((*apps_)[b.app_id], pool::to_string(err));
    SendJob next = job;
    ++next.unprocessed;
    retries_.push(RetryItem{now_ms, next});
    arm_retry_timer();
    return;
  }
  retry(job, unprocessed ? 0 : -1, 0, pool::to_string(err), 0, now_ms);
}

void Sender::retry(const SendJob& job, int64_t retry_after_ms, int64_t min_delay_ms, std::string_view reason,
                   int http_status, int64_t now_ms) {
  const Batch& b = *job.batch;
  RetryInput in;
  in.attempts_done = job.attempt + 1;
  in.now_ms = now_ms;
  in.first_try_ms = b.accepted_ms;
  in.expires_at_ms = b.expires_at_ms;
  in.retry_after_ms = retry_after_ms;
  in.min_delay_ms = min_delay_ms;
  const bool stopping = stop_requested_.load(std::memory_order_relaxed) && retry_after_ms != 0;
  int64_t delay = stopping ? -1 : next_retry_delay(policy_, in, [this] { return rand01(); });
  if (delay < 0) {
    // Giving up because of SIGTERM is no verdict on the notification: report
    // "shutdown" (with a spool it is replayed after the restart).
    finish(job, Status::Failed, http_status,
           stopping ? std::string_view("shutdown") : reason.empty() ? std::string_view("retries_exhausted") : reason,
           {}, 0);
    return;
  }
  SenderStats::add(stats_.platform[static_cast<int>(b.platform)].retried);
  metrics_->retry((*apps_)[b.app_id], reason);
  SendJob next = job;
  ++next.attempt;
  retries_.push(RetryItem{now_ms + delay, next});
  arm_retry_timer();
}

void Sender::arm_retry_timer() {
  if (retries_.empty()) return;
  int64_t due = retries_.top().due_ms;
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&retry_timer_)) && retry_timer_due_ <= due) return;
  retry_timer_due_ = due;
  int64_t wait = std::max<int64_t>(0, due - d_.clock->now_ms());
  retry_timer_.data = this;
  uv_timer_start(
      &retry_timer_, [](uv_timer_t* t) { static_cast<Sender*>(t->data)->on_retry_timer(); },
      static_cast<uint64_t>(wait), 0);
}

void Sender::on_retry_timer() {
  const int64_t now = d_.clock->now_ms();
  bool began = false;
  while (!retries_.empty() && retries_.top().due_ms <= now && in_flight_ < d_.max_in_flight) {
    SendJob job = retries_.top().job;
    retries_.pop();
    if (!began) {
      begin_drain_providers(now);
      began = true;
    }
    send_one(job, now);
  }
  for (pool::Pool* p : dirty_pools_) p->flush();
  dirty_pools_.clear();
  if (!retries_.empty()) {
    // Either not due yet or the in-flight window is full: look again soon.
    retry_timer_due_ = 0;
    int64_t wait = std::max<int64_t>(in_flight_ >= d_.max_in_flight ? 10 : 0, retries_.top().due_ms - now);
    uv_timer_start(
        &retry_timer_, [](uv_timer_t* t) { static_cast<Sender*>(t->data)->on_retry_timer(); },
        static_cast<uint64_t>(wait), 0);
    retry_timer_due_ = now + wait;
  }
  if (stop_requested_.load(std::memory_order_acquire)) maybe_finish_stop();
}

void Sender::finish(const SendJob& job, Status st, int http_status, std::string_view reason, std::string_view id,
                    int64_t since_ms) {
  Batch* b = job.batch;
  // Durable spool: a final outcome marks the recipient done. "shutdown" is
  // not final: the recipient stays in the spool and is replayed at start.
  // A batch ingest did not journal (expired while scheduled) has no record.
  if (d_.spool && b->journaled && !(st == Status::Failed && reason == "shutdown")) spool_done(job);
  PlatformCounters& c = stats_.platform[static_cast<int>(b->platform)];
  switch (st) {
    case Status::Delivered: SenderStats::add(c.delivered); break;
    case Status::Invalid: SenderStats::add(c.invalid); break;
    case Status::Unsubscribed: SenderStats::add(c.unsubscribed); break;
    case Status::Suppressed: SenderStats::add(c.suppressed); break;
    case Status::Failed: SenderStats::add(c.failed); break;
    case Status::Capped: SenderStats::add(c.capped); break;
    case Status::Expired: SenderStats::add(c.expired); break;
  }
  metrics_->outcome((*apps_)[b->app_id], st, reason);
  if (stats_.queued.load(std::memory_order_relaxed) > 0) SenderStats::add(stats_.queued, static_cast<uint64_t>(-1));
  const bool verdict = st == Status::Invalid || st == Status::Unsubscribed;
  // Suppressed, capped and expired recipients were never sent: no token
  // record, but a campaign counts them. A campaign's outcomes are always
  // recorded (its report needs them), whatever [store] track_sends says.
  const bool sent = st != Status::Suppressed && st != Status::Capped && st != Status::Expired;
  const bool campaign = !b->campaign.empty();
  if (d_.store && (sent ? (d_.delivery_tracking || verdict || st == Status::Failed || campaign) : campaign)) {
    store::Outcome o;
    o.platform = b->platform;
    o.app = (*apps_)[b->app_id].name;
    o.token = b->token(job.idx);
    o.campaign = b->campaign;
    o.kind = store_kind(st);
    o.reason = reason;
    o.since_ms = since_ms;
    o.at_ms = d_.clock->now_ms();
    // The writer drains continuously; a full ring means a burst, so back off and retry (store/ring_wait.h).
    for (store::RingWait wait; !d_.store->record(d_.index, o);) wait();
  }
  if (b->wait) {
    ResultSlot& r = b->results[job.idx];
    r.status = st;
    r.http_status = static_cast<uint16_t>(http_status);
    r.reason.assign(reason);
    r.id.assign(id);
  }
  if (b->pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (!b->wait) {
    delete b;
    return;
  }
  if (!completions_.push(b)) completion_backlog_.push_back(b);
  if (d_.notify_ingest) d_.notify_ingest();
}

void Sender::flush_completions() {
  if (completion_backlog_.empty()) return;
  size_t n = completions_.push_many(completion_backlog_.data(), completion_backlog_.size());
  completion_backlog_.erase(completion_backlog_.begin(), completion_backlog_.begin() + static_cast<long>(n));
  if (n > 0 && d_.notify_ingest) d_.notify_ingest();
}

void Sender::publish_stats() {
  uint64_t conns = 0, streams = 0;
  for (auto& [k, p] : pools_) {
    pool::PoolStats s = p->stats();
    conns += s.connections;
    streams += s.streams_in_flight;
  }
  SenderStats::set(stats_.connections, conns);
  SenderStats::set(stats_.streams_in_flight, streams);
  if (stop_requested_.load(std::memory_order_acquire)) maybe_finish_stop();
}

void Sender::fail_everything_left() {
  size_t n;
  while ((n = ring_.pop_many(drain_buf_.data(), drain_buf_.size())) > 0) {
    SenderStats::add(stats_.queued, n);
    for (size_t i = 0; i < n; ++i) finish(drain_buf_[i], Status::Failed, 0, "shutdown", {}, 0);
  }
  while (!retries_.empty()) {
    SendJob job = retries_.top().job;
    retries_.pop();
    finish(job, Status::Failed, 0, "shutdown", {}, 0);
  }
  for (const SendJob& job : origins_->take_parked()) finish(job, Status::Failed, 0, "shutdown", {}, 0);
  for (auto& [p, g] : guards_) {
    std::vector<SendJob> held;
    held.swap(g->held());
    for (const SendJob& job : held) finish(job, Status::Failed, 0, "shutdown", {}, 0);
  }
}

void Sender::maybe_finish_stop() {
  if (pools_closing_) return;
  const bool past_deadline = d_.clock->mono_ns() >= stop_deadline_ns_.load(std::memory_order_relaxed);
  const bool idle = ring_.size_approx() == 0 && in_flight_ == 0 && retries_.empty() && origins_->resolving() == 0 &&
                    held_total() == 0;
  if (!idle && !past_deadline) return;
  if (past_deadline) fail_everything_left();
  pools_closing_ = true;
  uv_timer_stop(&retry_timer_);
  // Force-close whatever is still in flight at the deadline: those complete
  // with Shutdown and are reported failed.
  auto remaining = std::make_shared<size_t>(pools_.size());
  auto close_loop = [this] {
    flush_completions();
    flush_spool();
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&housekeeping_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&after_io_), nullptr);
  };
  if (pools_.empty()) {
    close_loop();
    return;
  }
  for (auto& [k, p] : pools_)
    p->shutdown(past_deadline, [remaining, close_loop] {
      if (--*remaining == 0) close_loop();
    });
}

// ---- reliability: circuit breakers and spool done markers ----------------

OriginGuard& Sender::guard_for(pool::Pool* p) {
  if (p == last_guard_pool_) return *last_guard_;
  auto& g = guards_[p];
  if (!g) g = std::make_unique<OriginGuard>(BreakerOptions{}, *d_.clock, [this] { return rand01(); });
  last_guard_pool_ = p;
  last_guard_ = g.get();
  return *g;
}

// The breaker closed: held jobs go through the retry heap (due now), which
// respects the in-flight window.
void Sender::release_held(OriginGuard& g, int64_t now_ms) {
  for (const SendJob& job : g.held()) retries_.push(RetryItem{now_ms, job});
  g.held().clear();
  arm_retry_timer();
}

void Sender::tick_guards(int64_t now_ms) {
  if (pools_closing_) return;
  const int64_t mono_ms = d_.clock->mono_ns() / 1'000'000;
  std::vector<SendJob> probes;  // sent after the walk: send_one may touch guards_
  for (auto& [p, gp] : guards_) {
    OriginGuard& g = *gp;
    std::vector<SendJob>& held = g.held();
    if (held.empty()) continue;
    if (g.breaker().state() == CircuitBreaker::State::Closed) {  // closed by a late answer
      release_held(g, now_ms);
      continue;
    }
    if (g.scan_due(mono_ms, kHeldScanMs)) {
      // Held jobs still honour expiry and max_retry_seconds; the reason is
      // the failure that opened (or kept open) the breaker.
      size_t w = 0;
      for (size_t i = 0; i < held.size(); ++i) {
        const Batch& b = *held[i].batch;
        if (b.expires_at_ms > 0 && now_ms >= b.expires_at_ms) {
          finish(held[i], Status::Expired, 0, "expired", {}, 0);
        } else if (now_ms > b.accepted_ms + policy_.max_retry_ms) {
          finish(held[i], Status::Failed, 0, g.last_reason(), {}, 0);
        } else {
          held[w++] = held[i];
        }
      }
      held.resize(w);
    }
    if (!held.empty() && g.breaker().state() == CircuitBreaker::State::Open && g.breaker().remaining_ms() == 0) {
      // Probe time: send one held job; admit() in send_one makes it the probe.
      probes.push_back(held.back());
      held.pop_back();
    }
  }
  if (probes.empty()) return;
  begin_drain_providers(now_ms);
  for (const SendJob& job : probes) send_one(job, now_ms);
  for (pool::Pool* p : dirty_pools_) p->flush();
  dirty_pools_.clear();
}

size_t Sender::held_total() const {
  size_t n = 0;
  for (const auto& [p, g] : guards_) n += g->held().size();
  return n;
}

void Sender::spool_done(const SendJob& job) {
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

void Sender::flush_spool() {
  if (spool_done_.empty() || !d_.spool) return;
  d_.spool->append_done(spool_done_.data(), spool_done_.size());
  spool_done_.clear();
}

}  // namespace pushgw::dispatch
