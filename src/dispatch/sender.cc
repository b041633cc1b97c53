#include "dispatch/sender.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/sched_slice.h"
#include "base/thread_name.h"
#include "dispatch/send_pass.h"
#include "store/store.h"

namespace pushgw::dispatch {
namespace {

constexpr size_t kDrainChunk = 1024;
constexpr uint64_t kHousekeepingMs = 250;
constexpr uint64_t kSweepTicks = 20;  // idle Web Push pools are looked at every 5 s
// At shutdown, how long past the stop deadline the spool's done marks may
// wait for the store's commit.
constexpr int64_t kSpoolSettleGraceNs = 5'000'000'000;
// A certificate an attacker-chosen (Web Push) origin failed verification
// with is not retried for the whole window: this many attempts, within this
// long after accept.
constexpr uint16_t kVerifyFailAttempts = 2;
constexpr int64_t kVerifyFailWindowMs = 5000;

Status final_status(VerdictKind k) {
  switch (k) {
    case VerdictKind::Delivered: return Status::Delivered;
    case VerdictKind::Invalid: return Status::Invalid;
    case VerdictKind::Unsubscribed: return Status::Unsubscribed;
    default: return Status::Failed;
  }
}

// One Web Push origin's share of the in-flight window: the configured cap,
// and never more than a quarter of the window.
size_t webpush_origin_share(const DeliveryConfig& d, size_t max_in_flight) {
  const size_t quarter = std::max<size_t>(1, max_in_flight / 4);
  return std::min(static_cast<size_t>(std::max(1, d.webpush_origin_max_in_flight)), quarter);
}

OriginCacheOptions origin_cache(const DeliveryConfig& d) {
  OriginCacheOptions o;
  o.positive_ttl_ms = int64_t{d.webpush_dns_ttl_seconds} * 1000;
  o.negative_ttl_ms = int64_t{d.webpush_dns_negative_ttl_seconds} * 1000;
  o.max_entries = static_cast<size_t>(d.webpush_max_origins);
  return o;
}

std::shared_ptr<net::BoundedResolver> webpush_resolver(const SenderDeps& d) {
  if (d.webpush_resolver) return d.webpush_resolver;
  net::BoundedResolver::Options o;
  o.threads = d.delivery.webpush_resolver_threads;
  return std::make_shared<net::BoundedResolver>(o);
}

RetryPolicy retry_policy(const DeliveryConfig& d) {
  RetryPolicy p;
  p.max_attempts = d.max_attempts;
  p.max_retry_ms = int64_t{d.max_retry_seconds} * 1000;
  return p;
}

OutcomeSinkDeps sink_deps(const SenderDeps& d) {
  return OutcomeSinkDeps{d.index, d.store, d.spool, d.delivery_tracking, d.clock,
                         std::max<size_t>(1024, d.ring_capacity / 4), d.notify_ingest};
}

PoolDirectoryDeps directory_deps(const SenderDeps& d, std::function<double()> rand01) {
  // Half the share for Web Push origins' backlogs and a quarter for jobs
  // waiting for slow names: whatever attacker-chosen origins do, a quarter
  // stays for every app's other work (UntrustedBacklog). Half the in-flight
  // window for their requests (UntrustedWindow).
  return PoolDirectoryDeps{d.index, d.threads, d.delivery, webpush_origin_share(d.delivery, d.max_in_flight),
                           origin_cache(d.delivery), static_cast<size_t>(d.delivery.webpush_max_origins),
                           webpush_resolver(d), d.pools ? d.pools : pool::h2_pools(d.tls, *d.clock), d.clock,
                           d.log, std::move(rand01), std::max<size_t>(1, d.ring_capacity / 2),
                           std::max<size_t>(1, d.ring_capacity / 4), std::max<size_t>(1, d.max_in_flight / 2)};
}

// A first attempt asks the store: a suppressed token ends here; an APNs
// token registered after its 410 is active again. False: finished.
// *key: the token's Store::key(), which its outcome record carries so the
// store does not hash the token again.
bool store_allows(store::Store& store, OutcomeSink& sink, const SendJob& job, const AppRuntime& app, int64_t now,
                  uint64_t* key) {
  Batch& b = *job.batch;
  const int64_t reg = b.recipients[job.idx].registered_at_ms;
  *key = store.key(b.platform, app.name, b.token(job.idx));
  switch (store.check(*key, reg)) {
    case store::Store::Check::Clear: break;
    case store::Store::Check::Suppressed: sink.finish(job, Status::Suppressed, "suppressed"); return false;
    case store::Store::Check::Lifted:  // APNs: the device registered after the 410; the token is active again
      sink.record(b, job.idx, store::Kind::Reactivated, reg, now, *key);
      break;
  }
  return true;
}

}  // namespace

Sender::Sender(SenderDeps deps)
    : d_(std::move(deps)),
      rng_(std::random_device{}() ^ (static_cast<uint64_t>(d_.index) << 32)),
      rand01_(d_.random ? d_.random : [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }),
      apps_(d_.apps),
      counters_(d_.registry, d_.families, *d_.apps),
      sink_(loop_.get(), sink_deps(d_), apps_, counters_,
            [this] {  // the store caught up: take work again (or finish closing)
              if (closing_) close_loop();
              else drain();
            }),
      hold_(loop_.get(), d_.suspect, *d_.clock, sink_),
      retries_(loop_.get(), *d_.clock, retry_policy(d_.delivery), rand01_, [this] { drain(); }),
      pools_(loop_.get(), directory_deps(d_, rand01_), apps_, *this,
             [this](WebPushOrigins::Entry& e) { send_parked(e.parked); }),
      caps_(d_.caps, d_.allow_cap_override, d_.store, apps_, sink_),
      drain_buf_(kDrainChunk),
      inbox_(loop_.get(), d_.ring_capacity, counters_.stats(), [this] { drain(); }, d_.notify_ingest),
      apps_mailbox_(loop_.get(),
                    [this](std::vector<std::shared_ptr<const AppTable>>& tables) {
                      apps_.update(std::move(tables.back()));  // ids only grow: pools and providers stay
                      counters_.grow(apps_.table());
                    }),
      housekeeping_(loop_.get(), [this] { housekeeping(); }),
      after_io_(loop_.get(), [this] {
        // A connection that became ready takes queued requests without a
        // completion: pools with jobs waiting for streams look again after I/O.
        if (need_drain_ || backlogs_.any()) {
          need_drain_ = false;
          drain();
        }
        sink_.flush();  // one spool append per loop turn, whatever finished in it
        inbox_.notify_room();
      }) {}

Sender::~Sender() { join(); }

void Sender::start() {
  thread_ = std::thread([this] { run(); });
}

void Sender::test_stall(int ms) {
  if (d_.test_hooks) stall_ms_.store(ms, std::memory_order_relaxed);
}

void Sender::join() {
  if (thread_.joinable()) thread_.join();
}

void Sender::run() {
  name_this_thread("pgw-send-" + std::to_string(d_.index));
  // A sender wakes on a doorbell with work that is waiting: a short slice
  // lets it run before a busy CPU's current slice ends.
  if (int e = request_sched_slice_ns(d_.sched_slice_ns); e != 0)
    PGW_LOG(d_.log, Debug, "time slice not set: %s", strerror(e));
  after_io_.start();
  housekeeping_.start(kHousekeepingMs, kHousekeepingMs);
  loop_.run();
  inbox_.mark_stopped();
}

void Sender::housekeeping() {
  if (int ms = stall_ms_.exchange(0); ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // test hook: a stuck loop
  counters_.loop_turn();
  const PoolDirectory::Totals t = pools_.totals();
  counters_.pools(t.connections, t.streams_in_flight);
  counters_.webpush_shed(pools_.untrusted().shed());
  pools_.publish_breakers();
  if (++sweep_ticks_ % kSweepTicks == 0) pools_.sweep_pools();
  pools_.take_reconnects([this](uint16_t app_id, uint64_t n) {
    if (app_id < apps_.size()) counters_.reconnected(apps_[app_id], n);
  });
  hold_.report();
  sink_.flush();
  if (closing_) return close_loop();  // waits for the store to commit what the spool marks done
  {
    // Breaker probes, and held jobs' retry windows.
    const int64_t now = d_.clock->now_ms();
    std::vector<SendJob> probes;
    pools_.tick_guards(now, int64_t{d_.delivery.max_retry_seconds} * 1000, sink_, retries_, probes);
    if (!probes.empty()) {
      SendPass pass(apps_, pools_, now);
      for (const SendJob& job : probes) send_one(job, pass);
    }
  }
  drain();  // catches a doorbell that raced with a full in-flight window; checks the stop
}

void Sender::drain() {
  if (closing_) return;
  const int64_t now = d_.clock->now_ms();
  auto room = [this] { return in_flight_.size() < d_.max_in_flight && !sink_.backpressured(); };
  size_t popped = 0;
  if (const uint64_t c = inbox_.credentials(); c != credentials_seen_) {
    credentials_seen_ = c;
    retries_.unpark(now);  // a credential arrived: what waited for one goes now
  }
  {
    SendPass pass(apps_, pools_, now);
    // Pools whose queue shrank take the jobs that waited for their streams
    // first, in order; their wait there was for the provider's streams.
    if (backlogs_.any()) {
      const int64_t taken = d_.clock->mono_ns();
      backlogs_.release(room, [&](const WaitingJob& w) {
        pass.taken_at(w.since_ns != 0 ? taken : 0, w.since_ns != 0 ? taken - w.since_ns : 0);
        send_one(w.job, pass, Bound::Checked);
      });
      pass.taken_at(0);
    }
    if (retries_.due(now)) {
      SendJob job;
      while (room() && retries_.pop_due(now, &job)) send_one(job, pass);
      retries_.rearm(now, !room());
    }
    while (room()) {
      // Counted as held before they leave the ring, so ingest never sees
      // them in neither (push() reads the ring first).
      const size_t want = std::min(kDrainChunk, d_.max_in_flight - in_flight_.size());
      counters_.popped(want);
      const size_t n = inbox_.pop(drain_buf_.data(), want);
      if (n < want) counters_.unpopped(want - n);
      if (n == 0) break;
      popped += n;
      const int64_t taken = d_.clock->mono_ns();  // one clock read per chunk
      pass.taken_at(taken);
      for (size_t i = 0; i < n; ++i) {
        const SendJob& job = drain_buf_[i];
        counters_.queued_for(taken - job.batch->accepted_mono_ns);
        // A job of an app a reload added was pushed after the new table was
        // posted (the ring's release/acquire orders the two): receive it now.
        if (job.batch->app_id >= apps_.size()) apps_mailbox_.deliver();
        if (!caps_.admit(job, now)) continue;
        // The bound of an APNs/FCM pool that exists is looked at here,
        // before any other work on a job that is to wait.
        const PoolDirectory::Fixed* fixed = pools_.made(job.batch->app_id);
        if (fixed == nullptr) send_one(job, pass);
        else if (!backlogs_.defer(*fixed->pool, *fixed->guard, job, taken)) send_one(job, pass, Bound::Checked);
      }
    }
  }
  if (popped > 0) inbox_.notify_ingest();
  sink_.flush_completions();
  if (inbox_.stop_requested()) maybe_finish_stop();
}

void Sender::send_parked(std::vector<SendJob>& parked) {
  std::vector<SendJob> jobs;
  jobs.swap(parked);
  SendPass pass(apps_, pools_, d_.clock->now_ms());
  for (const SendJob& j : jobs) {
    if (closing_) sink_.finish(j, Status::Failed, "shutdown");
    else send_one(j, pass);
  }
}

// Every way in (ring, retry, release, probe, parked, backlog) goes through here.
void Sender::send_one(const SendJob& job, SendPass& pass, Bound bound) {
  Batch& b = *job.batch;
  const int64_t now = pass.now();
  if (b.expires_at_ms > 0 && now >= b.expires_at_ms) return sink_.finish(job, Status::Expired, "expired");
  const AppRuntime& app = apps_[b.app_id];
  Provider& prov = apps_.provider(b.app_id);
  pool::Pool* pool = nullptr;
  OriginGuard* guard = nullptr;
  if (b.platform != Platform::WebPush) {
    const PoolDirectory::Fixed& fixed = pools_.fixed(app, prov.origin(b, job.idx));
    pool = fixed.pool;
    guard = fixed.guard;
    // Its pool holds kBuildAhead requests without a stream, or earlier jobs
    // wait for it: this one waits too, unbuilt (the ring goes on for the
    // other pools). The wait is for the provider's streams.
    if (bound == Bound::Check && backlogs_.defer(*pool, *guard, job, job.attempt == 0 ? pass.taken_ns() : 0))
      return;
  }
  // Before any other work: a job parked for its credential comes back when
  // one arrives (Inbox::credentials_changed) or after RetryQueue::kParkLookMs.
  pass.begin();
  if (!prov.credential_ready()) return park_for_credential(job, now);
  uint64_t key = 0;  // Store::key() of the token, when the store was asked
  if (d_.store && job.attempt == 0 && !store_allows(*d_.store, sink_, job, app, now, &key)) return;
  if (pool == nullptr) {
    // Web Push: the origin is resolved and checked before paying for the encryption.
    int64_t retry_in_ms = 0;
    switch (pools_.webpush(job, prov.origin(b, job.idx), retries_, &pool, &retry_in_ms)) {
      case PoolDirectory::Route::Ready: break;
      case PoolDirectory::Route::Parked: return;
      case PoolDirectory::Route::Refused: return sink_.finish(job, Status::Failed, "endpoint_refused");
      // A temporary DNS failure is no verdict on the endpoint: try again
      // once the name may be resolved again.
      case PoolDirectory::Route::Retry: return retry(job, -1, retry_in_ms, "dns_temporary_failure", 0, now, true);
      // Its name is slow and jobs waiting for names hold their part of the
      // share already (UntrustedBacklog's rule 3): no waiting for it.
      case PoolDirectory::Route::NameBusy: return sink_.finish(job, Status::Failed, "dns_temporary_failure");
    }
    guard = &pools_.guard_for(pool);
  }
  submit_to(job, prov, *pool, *guard, pass, key);
}

// Circuit breaker: while open the job waits for the probe's outcome without
// using up an attempt (tick_guards bounds the wait by the retry window); in
// half-open exactly one request goes, as the probe.
void Sender::submit_to(const SendJob& job, Provider& prov, pool::Pool& pool, OriginGuard& guard, SendPass& pass,
                       uint64_t key) {
  const Batch& b = *job.batch;
  const CircuitBreaker::Admit admit = guard.admit();
  if (admit == CircuitBreaker::Admit::Hold) {
    // Now or never (ttl 0), an attacker-chosen origin whose certificate
    // failed, or one that could not answer it in time (UntrustedBacklog):
    // no waiting for it.
    if (b.once || guard.fail_fast() || !pools_.admit_backlog(guard, b, pass.now(), sink_))
      return sink_.finish(job, Status::Failed, guard.last_reason());
    return guard.hold(job);
  }
  // The origin has its share of the in-flight window: wait for one of its
  // own (unless it is a Web Push origin that could not send it in time).
  if (admit == CircuitBreaker::Admit::Send && guard.full()) {
    if (!pools_.admit_backlog(guard, b, pass.now(), sink_)) return sink_.finish(job, Status::Failed, "origin_busy");
    return guard.wait(job);
  }
  submit(job, prov, pool, guard, admit == CircuitBreaker::Admit::Probe, pass, key);
}

// Builds the request and hands it to the pool (written when the pass ends).
void Sender::submit(const SendJob& job, Provider& prov, pool::Pool& pool, OriginGuard& guard, bool probe,
                    SendPass& pass, uint64_t key) {
  Batch& b = *job.batch;
  const int64_t now = pass.now();
  InFlight* f = in_flight_.acquire();
  f->job = job;
  f->req.clear();
  f->resp.clear();
  pass.begin();
  Result<void> built = prov.build(b, job.idx, now, f->req);
  if (!built.ok()) {
    in_flight_.release(f);
    if (probe) guard.probe_abandoned();
    if (built.error().code != "credential_unavailable") return sink_.finish(job, Status::Failed, built.error().code);
    return park_for_credential(job, now);
  }
  f->pool = &pool;
  f->guard = &guard;
  f->probe = probe;
  f->key = key;
  f->submit_ns = d_.clock->mono_ns();
  f->held_ns = 0;
  if (pass.taken_ns() > 0 && job.attempt == 0) {
    counters_.built_after(f->submit_ns - pass.taken_ns());
    f->held_ns = pass.held_ns();
  }
  // An expiring job does not wait in the pool past its expiry.
  if (b.expires_at_ms > 0) f->req.not_after_mono_ms = f->submit_ns / 1'000'000 + (b.expires_at_ms - now);
  guard.submitted();
  pools_.mark_dirty(&pool);
  pool.submit(&f->req, &f->resp, f);
}

// No credential yet (FCM access token being fetched): wait without using up an attempt.
void Sender::park_for_credential(const SendJob& job, int64_t now_ms) {
  if (!retries_.park(job, now_ms)) sink_.finish(job, Status::Failed, "credential_unavailable");
}

void Sender::on_complete(void* user, HttpRequest&, HttpResponse& resp, pool::TransportError err, uint32_t conn_id) {
  auto* f = static_cast<InFlight*>(user);
  const int64_t now = d_.clock->now_ms();
  // Completions free stream slots and in-flight room: refill after this I/O
  // pass (check handle), not from inside the pool's callback.
  need_drain_ = true;
  SendJob next;  // one of the origin's jobs that waited for its share
  if (f->guard->completed(&next)) retries_.release(next, now);
  switch (f->guard->settle(err, conn_id, *f->pool, f->probe)) {
    case OriginGuard::Settle::Continue: break;
    case OriginGuard::Settle::ReleaseHeld: pools_.release_held(*f->guard, retries_, now); break;
    case OriginGuard::Settle::HoldBack: {
      const SendJob job = f->job;
      f->guard->hold(job);
      in_flight_.release(f);
      return;
    }
  }
  if (err != pool::TransportError::None) return on_transport_error(f, err, now);
  const int64_t mono = d_.clock->mono_ns();
  if (resp.started_mono_ns > 0 && f->job.attempt == 0) counters_.stream_after(resp.started_mono_ns - f->submit_ns + f->held_ns);
  const Batch& b = *f->job.batch;
  // The kept Verdict's strings are reused (no allocation per response); a
  // completion nested in this one (none is known) gets its own.
  Verdict nested;
  Verdict& v = verdict_busy_ ? nested : verdict_;
  const bool outer = !verdict_busy_;
  verdict_busy_ = true;
  apps_.provider(b.app_id).classify_into(resp, now, v);
  counters_.response(apps_[b.app_id], mono - f->submit_ns + f->held_ns,
                     v.kind == VerdictKind::Retry ? -1 : mono - b.accepted_mono_ns);
  on_verdict(f, v, conn_id, now);
  if (outer) verdict_busy_ = false;
}

void Sender::on_verdict(InFlight* f, const Verdict& v, uint32_t conn_id, int64_t now_ms) {
  const SendJob job = f->job;
  const uint64_t key = f->key;
  pool::Pool* pool = f->pool;
  const AppRuntime& app = apps_[job.batch->app_id];
  // The credential the request carried decides what its rejection means, so
  // the provider reads it before the request is recycled.
  const CredentialRetry cred = v.refresh_credential
                                   ? apps_.provider(job.batch->app_id).credential_rejected(f->req, now_ms)
                                   : CredentialRetry::Backoff;
  in_flight_.release(f);
  if (cred == CredentialRetry::Fail || cred == CredentialRetry::FailFirst) {
    if (cred == CredentialRetry::FailFirst)
      PGW_LOG(d_.log, Error,
              "app %s: %s: the provider token was rejected right after it was renewed: its notifications fail "
              "(credential_rejected) until the next signature, in 20 minutes. Likely causes: this host's clock is "
              "off, the key was revoked, or team_id/key_id do not match key_file",
              app.name.c_str(), v.reason.c_str());
    return sink_.finish(job, Status::Failed, "credential_rejected", v.http_status);
  }
  if (v.close_connection && conn_id != 0) pool->retire(conn_id);
  if (cred == CredentialRetry::Resend && retries_.resend_free(job, now_ms)) return counters_.retried(app, v.reason);
  if (v.kind == VerdictKind::Retry)
    return retry(job, v.refresh_credential ? 0 : v.retry_after_ms, v.min_retry_ms, v.reason, v.http_status, now_ms);
  const Status st = final_status(v.kind);
  // An answer that can mean a config mistake waits for the suspect guard.
  if (hold_.take(job, job.batch->platform, st, v)) return;
  sink_.finish(job, st, st == Status::Delivered ? std::string_view() : std::string_view(v.reason), v.http_status, v.id,
               st == Status::Unsubscribed ? v.since_ms : 0, {}, key);
}

void Sender::on_transport_error(InFlight* f, pool::TransportError err, int64_t now_ms) {
  const SendJob job = f->job;
  const bool attacker_chosen = f->guard->limits().attacker_chosen;
  // Its deadline in the pool's queue was its expiry, and it was never sent:
  // it expired waiting for a stream, as a job that expires unbuilt does.
  const bool expired_unsent = err == pool::TransportError::QueueTimeout && f->req.not_after_mono_ms > 0 &&
                              d_.clock->mono_ns() / 1'000'000 >= f->req.not_after_mono_ms;
  in_flight_.release(f);
  if (err == pool::TransportError::Shutdown || closing_) return sink_.finish(job, Status::Failed, "shutdown");
  if (expired_unsent) return sink_.finish(job, Status::Expired, "expired");
  // An answer past the response caps says the peer is broken or hostile:
  // asking again would only fetch the same answer.
  if (err == pool::TransportError::ResponseTooLarge) return sink_.finish(job, Status::Failed, pool::to_string(err));
  if (err == pool::TransportError::TlsVerifyFailed && attacker_chosen &&
      (job.attempt + 1 >= kVerifyFailAttempts || now_ms - job.batch->accepted_ms >= kVerifyFailWindowMs))
    return sink_.finish(job, Status::Failed, pool::to_string(err));
  // The peer never saw it: resend at once without using up an attempt.
  const bool unprocessed =
      err == pool::TransportError::RefusedStream || err == pool::TransportError::GoawayUnprocessed;
  if (unprocessed && retries_.resend_unprocessed(job, now_ms)) {
    counters_.retried(apps_[job.batch->app_id], pool::to_string(err));
    return;
  }
  // Its connection went silent and was found dead by PING: like a GOAWAY
  // without a last-stream-id, nobody can tell whether the peer processed it.
  // Connection loss is retryable (the contract), and the stall says nothing
  // about the notification, so it goes again at once on another connection
  // without using up an attempt (at most a few times; then as a failure).
  const bool stalled = err == pool::TransportError::Stalled;
  if (stalled && retries_.resend_free(job, now_ms)) {
    counters_.retried(apps_[job.batch->app_id], pool::to_string(err));
    return;
  }
  retry(job, unprocessed ? 0 : -1, 0, pool::to_string(err), 0, now_ms);
}

void Sender::retry(const SendJob& job, int64_t retry_after_ms, int64_t min_delay_ms, std::string_view reason,
                   int http_status, int64_t now_ms, bool name_wait) {
  // Giving up because of SIGTERM is no verdict on the notification: report
  // "shutdown" (with a spool it is replayed after the restart).
  const bool stopping = (inbox_.stop_requested() && retry_after_ms != 0) || closing_;
  if (!stopping && retries_.backoff(job, retry_after_ms, min_delay_ms, now_ms, name_wait)) {
    counters_.retried(apps_[job.batch->app_id], reason);
    return;
  }
  sink_.finish(job, Status::Failed,
               stopping ? std::string_view("shutdown") : reason.empty() ? std::string_view("retries_exhausted") : reason,
               http_status);
}

void Sender::fail_everything_left() {
  size_t n;
  while ((n = inbox_.pop(drain_buf_.data(), drain_buf_.size())) > 0) {
    counters_.popped(n);
    for (size_t i = 0; i < n; ++i) sink_.finish(drain_buf_[i], Status::Failed, "shutdown");
  }
  for (const SendJob& job : retries_.take_all()) sink_.finish(job, Status::Failed, "shutdown");
  for (const SendJob& job : pools_.take_waiting()) sink_.finish(job, Status::Failed, "shutdown");
  backlogs_.forget();
  hold_.fail_all("shutdown");
}

void Sender::maybe_finish_stop() {
  if (closing_) return;
  const bool past_deadline = d_.clock->mono_ns() >= inbox_.stop_deadline_ns();
  const bool idle =
      inbox_.ring_size() == 0 && in_flight_.size() == 0 && retries_.empty() && pools_.idle() && hold_.empty();
  if (!idle && !past_deadline) return;
  if (past_deadline) fail_everything_left();
  closing_ = true;
  retries_.stop();
  // Force-close whatever is still in flight at the deadline: those complete
  // with Shutdown and are reported failed.
  pools_.shutdown(past_deadline, [this] {
    pools_closed_ = true;
    close_loop();
  });
}

// Last step, once the pools are closed: every outcome has reached the store
// ring (or the sink calls again when it has), then the loop may end.
void Sender::close_loop() {
  if (!pools_closed_) return;
  for (const SendJob& job : retries_.take_all()) sink_.finish(job, Status::Failed, "shutdown");
  hold_.fail_all("shutdown");
  if (sink_.backpressured()) return;
  sink_.flush();
  // The spool's done marks go only after the store committed their verdicts
  // (housekeeping looks again). A store that stays down past the deadline:
  // give up on them; those recipients are sent again after the restart.
  if (!sink_.spool_settled()) {
    if (d_.clock->mono_ns() < inbox_.stop_deadline_ns() + kSpoolSettleGraceNs) return;
    PGW_LOG(d_.log, Warn, "%zu recipients not marked done in the spool: the store did not commit their outcomes; "
            "they are sent again after the restart", sink_.spool_waiting());
    sink_.give_up_spool();
    sink_.flush_completions();
  }
  retries_.close();
  hold_.close();
  sink_.close();
  housekeeping_.close();
  after_io_.close();
  // The ingest thread may still ring these: they stay open (unreferenced)
  // until the Sender is destroyed.
  inbox_.unref();
  apps_mailbox_.unref();
}

}  // namespace pushgw::dispatch
