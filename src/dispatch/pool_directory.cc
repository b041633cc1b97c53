#include "dispatch/pool_directory.h"

#include <algorithm>
#include <utility>

#include "base/authority.h"
#include "dispatch/outcome_sink.h"
#include "dispatch/retry_queue.h"

namespace pushgw::dispatch {
namespace {
constexpr int64_t kHeldScanMs = 1000;  // how often held jobs are checked against their retry window
}

PoolDirectory::PoolDirectory(uv_loop_t* loop, PoolDirectoryDeps deps, const ThreadApps& apps,
                             pool::PoolListener& listener, WebPushOrigins::Settled settled)
    : loop_(loop),
      d_(std::move(deps)),
      apps_(apps),
      listener_(listener),
      resolver_pool_(d_.webpush_resolver ? d_.webpush_resolver
                                         : std::make_shared<net::BoundedResolver>(net::BoundedResolver::Options{1})),
      resolver_(loop, resolver_pool_),
      origins_(resolver_, *d_.clock, d_.origin_cache, d_.log, std::move(settled)),
      untrusted_(d_.untrusted_backlog_bound, int64_t{d_.delivery.max_retry_seconds} * 1000, d_.name_wait_bound),
      window_(d_.untrusted_in_flight) {}

PoolDirectory::~PoolDirectory() {
  *alive_ = false;
  // Pools first: one destroyed without a finished shutdown completes its
  // requests at once, and the listener may then look at the guards.
  fixed_.clear();
  pools_.clear();
  evicted_.clear();
}

const PoolDirectory::Fixed& PoolDirectory::make_fixed(const AppRuntime& app, std::string_view origin) {
  if (app.app_id >= fixed_.size()) fixed_.resize(apps_.size());
  Fixed& f = fixed_[app.app_id];
  f.pool = create(app, origin, std::string());
  f.guard = &guard_for(f.pool);
  return f;
}

PoolDirectory::Route PoolDirectory::webpush(const SendJob& job, std::string_view origin, const RetryQueue& retries,
                                            pool::Pool** out, int64_t* retry_in_ms) {
  const AppRuntime& app = apps_[job.batch->app_id];
  WebPushOrigins::Entry& e = origins_.lookup(app.app_id, origin, app.allow_private_endpoints);
  auto may_wait = [&] {
    return untrusted_.admit_name_wait(origins_.slow(e, UntrustedBacklog::kNameGraceMs),
                                      origins_.parked() + retries.name_waits());
  };
  switch (e.state) {
    case WebPushOrigins::State::Ready:
      *out = create(app, origin, e.ip);
      webpush_used_[*out] = d_.clock->mono_ns() / 1'000'000;
      return Route::Ready;
    case WebPushOrigins::State::Refused:
      return Route::Refused;
    case WebPushOrigins::State::Retry:
      if (!may_wait()) return Route::NameBusy;
      *retry_in_ms = std::max<int64_t>(0, e.expires_ms - d_.clock->mono_ns() / 1'000'000);
      return Route::Retry;
    case WebPushOrigins::State::Resolving:
      if (!may_wait()) return Route::NameBusy;
      origins_.park(e, job);
      return Route::Parked;
  }
  return Route::Refused;
}

// Finds or creates the pool of (app, origin[, pinned address]).
pool::Pool* PoolDirectory::create(const AppRuntime& app, std::string_view origin, const std::string& connect_ip) {
  key_.clear();
  key_.append(std::to_string(app.app_id)).push_back('|');
  key_.append(origin);
  if (!connect_ip.empty()) key_.append("@").append(connect_ip);
  auto it = pools_.find(key_);
  if (it != pools_.end()) return it->second.get();

  pool::PoolOptions o;
  base::Authority a;  // canonical "host:port" (base/authority.h); unparsable: no host, connect fails
  base::parse_authority(origin, base::AuthorityRules{}, a);
  o.host.assign(a.host);
  o.port = a.port;
  o.max_connections = std::max(1, app.connections_for(d_.index, d_.threads));
  o.connect_timeout_ms = d_.delivery.connect_timeout_ms;
  o.request_timeout_ms = d_.delivery.request_timeout_ms;
  o.ping_interval_ms = d_.delivery.ping_interval_ms;
  o.stall_ping_ms = d_.delivery.stall_ping_ms;
  o.ping_timeout_ms = d_.delivery.ping_timeout_ms;
  o.idle_timeout_ms = d_.delivery.idle_timeout_ms;
  o.allow_http1 = app.allow_http1;
  o.connect_ip = connect_ip;
  auto p = d_.factory(loop_, std::move(o), listener_, obs::Logger(d_.log.sink(), "pool/" + app.name));
  pool::Pool* raw = p.get();
  pools_.emplace(key_, std::move(p));
  OriginLimits limits;
  if (app.platform == Platform::WebPush) {
    limits.max_in_flight = d_.webpush_origin_max_in_flight;
    limits.attacker_chosen = true;
    limits.window = &window_;
  }
  auto& g = guards_[raw] = std::make_unique<OriginGuard>(BreakerOptions{}, *d_.clock, d_.rand01, limits);
  if (limits.attacker_chosen) g->count_into(untrusted_.counter());
  return raw;
}

OriginGuard& PoolDirectory::guard_for(pool::Pool* p) {
  if (p == last_guard_pool_) return *last_guard_;
  auto& g = guards_[p];
  if (!g) g = std::make_unique<OriginGuard>(BreakerOptions{}, *d_.clock, d_.rand01);
  last_guard_pool_ = p;
  last_guard_ = g.get();
  return *g;
}

void PoolDirectory::flush_dirty() {
  // flush() may complete requests (listener callbacks), which never send,
  // so the list cannot grow while it is walked.
  for (pool::Pool* p : dirty_) p->flush();
  dirty_.clear();
}

void PoolDirectory::release_held(OriginGuard& g, RetryQueue& retries, int64_t now_ms) {
  g.held().for_each([&](const WaitingJob& w) { retries.release(w.job, now_ms); });
  g.held().clear();
}

void PoolDirectory::tick_guards(int64_t now_ms, int64_t max_retry_ms, OutcomeSink& sink, RetryQueue& retries,
                                std::vector<SendJob>& probes) {
  const int64_t mono_ms = d_.clock->mono_ns() / 1'000'000;
  untrusted_guards_.clear();
  for (auto& [p, gp] : guards_) {
    OriginGuard& g = *gp;
    if (g.limits().attacker_chosen) untrusted_guards_.push_back(&g);
    WaitQueue& held = g.held();
    if (held.empty() && g.waiting().empty()) continue;
    if (!held.empty() && g.breaker().state() == CircuitBreaker::State::Closed) {  // closed by a late answer
      release_held(g, retries, now_ms);
      if (g.waiting().empty()) continue;
    }
    if (g.scan_due(mono_ms, kHeldScanMs)) scan(g, now_ms, max_retry_ms, sink);
    if (!held.empty() && g.breaker().state() == CircuitBreaker::State::Open && g.breaker().remaining_ms() == 0) {
      // Probe time: one held job goes; the sender's admit() makes it the probe.
      probes.push_back(held.back().job);
      held.pop_back();
    }
  }
  untrusted_.tick(untrusted_guards_, now_ms, mono_ms, sink);
}

// Held jobs still honour expiry and max_retry_seconds; the reason is the
// failure that opened (or kept open) the breaker. Jobs that may not wait on
// a failing origin (ttl 0, or a certificate an attacker-chosen origin failed)
// end at once. Jobs waiting for the origin's share, or for an APNs/FCM
// pool's streams (its build-ahead backlog), honour expiry and the window
// too ("origin_busy": the origin took none of them in the whole window).
void PoolDirectory::scan(OriginGuard& g, int64_t now_ms, int64_t max_retry_ms, OutcomeSink& sink) {
  auto expired = [now_ms](const Batch& b) { return b.expires_at_ms > 0 && now_ms >= b.expires_at_ms; };
  WaitQueue& held = g.held();
  const bool fast = g.fail_fast();
  for (size_t i = 0, n = held.size(); i < n; ++i) {
    const SendJob job = held.front().job;
    held.pop_front();
    const Batch& b = *job.batch;
    if (expired(b)) sink.finish(job, Status::Expired, "expired");
    else if (fast || b.once || now_ms > b.accepted_ms + max_retry_ms) sink.finish(job, Status::Failed, g.last_reason());
    else held.push_back(WaitingJob{job, 0});
  }
  WaitQueue& waiting = g.waiting();
  if (!waiting.may_be_due(now_ms, max_retry_ms)) return;  // a backlog of a saturated pool is not walked each second
  waiting.forget_deadlines();  // the jobs kept note theirs again
  for (size_t i = 0, n = waiting.size(); i < n; ++i) {
    const WaitingJob next = waiting.front();
    waiting.pop_front();
    if (expired(*next.job.batch)) sink.finish(next.job, Status::Expired, "expired");
    else if (now_ms > next.job.batch->accepted_ms + max_retry_ms) sink.finish(next.job, Status::Failed, "origin_busy");
    else waiting.push_back(next);
  }
}

// Idle: nothing in flight or queued in the pool, nothing submitted, held or
// waiting for its breaker or its share.
bool PoolDirectory::evictable(const pool::Pool* p) const {
  const pool::PoolStats st = p->stats();
  if (st.streams_in_flight > 0 || st.queued > 0) return false;
  auto g = guards_.find(p);
  return g == guards_.end() || g->second->idle();
}

void PoolDirectory::evict(const std::string& key) {
  auto it = pools_.find(key);
  if (it == pools_.end()) return;
  std::unique_ptr<pool::Pool> p = std::move(it->second);
  pools_.erase(it);
  pool::Pool* raw = p.get();
  if (auto g = guards_.find(raw); g != guards_.end()) {
    untrusted_.forget(g->second.get());
    window_.forget(g->second.get());
  }
  guards_.erase(raw);
  reconnects_seen_.erase(raw);
  webpush_used_.erase(raw);
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), raw), dirty_.end());
  if (last_guard_pool_ == raw) last_guard_pool_ = nullptr, last_guard_ = nullptr;
  evicted_.push_back(std::move(p));
  ++evicting_;
  raw->shutdown(false, [this, raw, alive = alive_] {
    if (!*alive) return;
    // Destroyed on the next sweep, never inside the pool's own callback.
    closed_evicted_.push_back(raw);
    if (--evicting_ == 0 && evicted_closed_) std::exchange(evicted_closed_, nullptr)();
  });
}

void PoolDirectory::sweep_pools() {
  // Pools whose shutdown finished are destroyed here, outside their callbacks.
  for (const pool::Pool* raw : closed_evicted_)
    evicted_.erase(std::remove_if(evicted_.begin(), evicted_.end(), [raw](const auto& p) { return p.get() == raw; }),
                   evicted_.end());
  closed_evicted_.clear();
  const int64_t now = d_.clock->mono_ns() / 1'000'000;
  std::vector<std::pair<int64_t, std::string>> idle;  // (last use, key), Web Push pools only
  for (const auto& [key, p] : pools_) {
    auto used = webpush_used_.find(p.get());
    if (used != webpush_used_.end() && evictable(p.get())) idle.emplace_back(used->second, key);
  }
  std::sort(idle.begin(), idle.end());
  size_t over = webpush_used_.size() > d_.max_webpush_pools ? webpush_used_.size() - d_.max_webpush_pools : 0;
  for (const auto& [used, key] : idle) {
    if (over == 0 && now - used < d_.origin_cache.positive_ttl_ms) break;
    evict(key);
    if (over > 0) --over;
  }
}

bool PoolDirectory::idle() const {
  if (origins_.resolving() > 0) return false;
  for (const auto& [p, g] : guards_)
    if (!g->held().empty() || !g->waiting().empty()) return false;
  return true;
}

std::vector<SendJob> PoolDirectory::take_waiting() {
  std::vector<SendJob> out = origins_.take_parked();
  for (auto& [p, g] : guards_) {
    g->held().for_each([&out](const WaitingJob& w) { out.push_back(w.job); });
    g->held().clear();
    g->waiting().for_each([&out](const WaitingJob& w) { out.push_back(w.job); });
    g->waiting().clear();
  }
  return out;
}

PoolDirectory::Totals PoolDirectory::totals() const {
  Totals t;
  for (const auto& [k, p] : pools_) {
    const pool::PoolStats s = p->stats();
    t.connections += s.connections;
    t.streams_in_flight += s.streams_in_flight;
  }
  return t;
}

void PoolDirectory::take_reconnects(const std::function<void(uint16_t app_id, uint64_t n)>& fn) {
  for (const auto& [key, p] : pools_) {
    const uint64_t now = p->stats().reconnects;
    uint64_t& seen = reconnects_seen_[p.get()];
    if (now <= seen) continue;
    fn(static_cast<uint16_t>(std::stoul(key.substr(0, key.find('|')))), now - seen);
    seen = now;
  }
}

void PoolDirectory::publish_breakers() {
  std::vector<BreakerView> views;
  for (const auto& [key, p] : pools_) {
    auto it = guards_.find(p.get());
    if (it == guards_.end() || it->second->breaker().opens() == 0) continue;
    const CircuitBreaker& b = it->second->breaker();
    const size_t bar = key.find('|');
    const size_t at = key.find('@', bar);  // Web Push: "app|origin@address"
    views.push_back(BreakerView{static_cast<uint16_t>(std::stoul(key.substr(0, bar))),
                                key.substr(bar + 1, at == std::string::npos ? std::string::npos : at - bar - 1),
                                b.state(), b.opens(), b.remaining_ms(), it->second->held().size()});
  }
  std::lock_guard<std::mutex> g(published_mu_);
  if (views.empty() && published_.empty()) return;
  published_.swap(views);
}

std::vector<BreakerView> PoolDirectory::breakers() const {
  std::lock_guard<std::mutex> g(published_mu_);
  return published_;
}

void PoolDirectory::shutdown(bool force, std::function<void()> all_closed) {
  // Evicted pools still closing count too: their handles must be gone
  // before the loop may end.
  if (evicting_ > 0) {
    evicted_closed_ = [this, force, all_closed = std::move(all_closed)]() mutable { shutdown(force, std::move(all_closed)); };
    return;
  }
  if (pools_.empty()) {
    all_closed();
    return;
  }
  auto remaining = std::make_shared<size_t>(pools_.size());
  auto done = std::make_shared<std::function<void()>>(std::move(all_closed));
  for (auto& [k, p] : pools_)
    p->shutdown(force, [remaining, done] {
      if (--*remaining == 0) (*done)();
    });
}

}  // namespace pushgw::dispatch
