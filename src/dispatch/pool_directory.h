// A sender thread's pools and what guards them: which pool a request goes
// to, and which pools a send pass touched.
//
//  - APNs/FCM apps: one pool per app (its one origin), created on first use;
//  - Web Push: one pool per (app, origin, checked address), pinned to the
//    address the SSRF guard checked (WebPushOrigins): a job waits, parked in
//    the origin's entry, while its name resolves, a refused origin fails it,
//    a temporary DNS failure sends it back to the retry queue (both waits
//    bounded by UntrustedBacklog's rule 3 once the name is slow). At most
//    max_webpush_pools such pools are kept: idle ones past the bound, and
//    idle ones unused for the origin cache's positive TTL (an address the
//    name no longer has), are shut down, least recently used first;
//  - a circuit breaker (OriginGuard) per pool, with the jobs it holds while
//    open and the jobs waiting unbuilt for the pool (a Web Push origin's
//    share, an APNs/FCM pool's build-ahead backlog); tick_guards() bounds
//    their wait and sends the probes; what Web Push origins' backlogs may
//    hold of the sender's share is UntrustedBacklog's (admit_backlog());
//  - the dirty list: pools that got requests in this pass, flushed once at
//    its end (one write per connection per pass).
//
// Pools come from the PoolFactory (production: pool::h2_pools). Loop thread
// only; pool callbacks go to the listener given here (the Sender).
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dispatch/circuit_breaker.h"
#include "dispatch/config.h"
#include "dispatch/thread_apps.h"
#include "dispatch/untrusted_backlog.h"
#include "dispatch/untrusted_window.h"
#include "dispatch/webpush_origins.h"
#include "net/name_resolver.h"
#include "obs/log.h"
#include "pool/pool.h"
#include "pushgw/clock.h"

namespace pushgw::dispatch {

class OutcomeSink;
class RetryQueue;

struct PoolDirectoryDeps {
  int index = 0;    // this sender thread, of `threads`: its share of each app's connections
  int threads = 1;
  DeliveryConfig delivery;
  size_t webpush_origin_max_in_flight = 0;  // each Web Push origin's share of the in-flight window (0: none)
  OriginCacheOptions origin_cache;          // Web Push origin cache TTLs and bound
  size_t max_webpush_pools = 4096;
  // Resolves Web Push origin names (empty: a BoundedResolver of one thread
  // for this directory alone).
  std::shared_ptr<net::BoundedResolver> webpush_resolver;
  pool::PoolFactory factory;
  const Clock* clock = nullptr;
  obs::Logger log;
  std::function<double()> rand01;  // breaker jitter
  // Jobs all Web Push origins' backlogs (held or waiting) may hold together:
  // half the sender's share (UntrustedBacklog).
  size_t untrusted_backlog_bound = SIZE_MAX;
  // Jobs waiting for slow Web Push names may hold together: a quarter of
  // the share (UntrustedBacklog's rule 3).
  size_t name_wait_bound = SIZE_MAX;
  // Requests all Web Push origins may have in flight together: half the
  // sender's window (UntrustedWindow).
  size_t untrusted_in_flight = SIZE_MAX;
};

// One origin's circuit breaker that opened at least once (stats op, metrics).
struct BreakerView {
  uint16_t app_id = 0;
  std::string origin;  // "host:port"
  CircuitBreaker::State state = CircuitBreaker::State::Closed;
  uint64_t opens = 0;       // since start
  int64_t retry_in_ms = 0;  // open: until the next probe may go
  size_t held = 0;          // jobs waiting for it to close
};

class PoolDirectory {
 public:
  enum class Route : uint8_t { Ready, Parked, Refused, Retry, NameBusy };

  // settled: a Web Push origin finished resolving (take its parked jobs).
  PoolDirectory(uv_loop_t* loop, PoolDirectoryDeps deps, const ThreadApps& apps, pool::PoolListener& listener,
                WebPushOrigins::Settled settled);
  ~PoolDirectory();
  PoolDirectory(const PoolDirectory&) = delete;
  PoolDirectory& operator=(const PoolDirectory&) = delete;

  // APNs/FCM: the app's pool (its one origin) and the pool's guard.
  struct Fixed {
    pool::Pool* pool = nullptr;
    OriginGuard* guard = nullptr;
  };
  const Fixed& fixed(const AppRuntime& app, std::string_view origin) {
    if (app.app_id < fixed_.size() && fixed_[app.app_id].pool != nullptr) return fixed_[app.app_id];
    return make_fixed(app, origin);
  }
  // The app's APNs/FCM pool if it was made (nullptr: not yet, or Web Push).
  const Fixed* made(uint16_t app_id) const {
    return app_id < fixed_.size() && fixed_[app_id].pool != nullptr ? &fixed_[app_id] : nullptr;
  }
  // Web Push: the origin's pool when Ready; Parked: the job waits in the
  // origin's entry (settled() hands it back); Refused: the origin failed the
  // SSRF check or does not resolve; Retry: the name could not be resolved
  // for now, try again in *retry_in_ms (RetryQueue::backoff with name_wait);
  // NameBusy: the name is slow and the jobs waiting for names (parked, and
  // those in `retries` for one) are at their bound: end the job failed
  // "dns_temporary_failure" (UntrustedBacklog's rule 3).
  Route webpush(const SendJob& job, std::string_view origin, const RetryQueue& retries, pool::Pool** out,
                int64_t* retry_in_ms);
  // Housekeeping: shuts down idle Web Push pools past the bound or unused
  // for the origin cache's positive TTL.
  void sweep_pools();
  size_t webpush_pools() const { return webpush_used_.size(); }
  OriginGuard& guard_for(pool::Pool* p);
  void mark_dirty(pool::Pool* p) {
    for (pool::Pool* d : dirty_)
      if (d == p) return;
    dirty_.push_back(p);
  }
  void flush_dirty();
  // The breaker closed: its held jobs go back through the retry queue (due
  // now), which respects the in-flight window.
  void release_held(OriginGuard& g, RetryQueue& retries, int64_t now_ms);
  // Housekeeping: held and waiting jobs past their expiry or retry window
  // end in `sink` (held ones at once on an origin that fails fast); breakers
  // ready to probe give one held job each to `probes` (to send).
  void tick_guards(int64_t now_ms, int64_t max_retry_ms, OutcomeSink& sink, RetryQueue& retries,
                   std::vector<SendJob>& probes);
  // Before a job of guard g is held (breaker open) or waits (origin at its
  // in-flight share): false when it may not (an attacker-chosen origin past
  // UntrustedBacklog's rules; the caller ends it failed). May end another
  // origin's newest job in sink to make room.
  bool admit_backlog(OriginGuard& g, const Batch& b, int64_t now_ms, OutcomeSink& sink) {
    if (!g.limits().attacker_chosen) return true;
    return untrusted_.admit(g, b, now_ms, sink);
  }
  const UntrustedBacklog& untrusted() const { return untrusted_; }
  // No job parked for a name, held by a breaker or waiting for its origin's share.
  bool idle() const;
  // Shutdown: every parked, held and waiting job.
  std::vector<SendJob> take_waiting();
  struct Totals {
    uint64_t connections = 0, streams_in_flight = 0;
  };
  Totals totals() const;
  // Housekeeping: connections each app's pools opened again after losing
  // one, since the last call: fn(app_id, n) for each app with n > 0.
  void take_reconnects(const std::function<void(uint16_t app_id, uint64_t n)>& fn);
  // Housekeeping (loop thread): copies the breakers that ever opened where
  // breakers() reads them. Pools live until shutdown (idle Web Push pools
  // evicted past the bound take theirs along), so opens only grow.
  void publish_breakers();
  // Any thread: the copy made by the last publish_breakers().
  std::vector<BreakerView> breakers() const;
  // Shuts every pool down; all_closed runs when the last one has closed.
  void shutdown(bool force, std::function<void()> all_closed);

 private:
  const Fixed& make_fixed(const AppRuntime& app, std::string_view origin);
  pool::Pool* create(const AppRuntime& app, std::string_view origin, const std::string& connect_ip);
  bool evictable(const pool::Pool* p) const;
  void evict(const std::string& key);
  void scan(OriginGuard& g, int64_t now_ms, int64_t max_retry_ms, OutcomeSink& sink);

  uv_loop_t* loop_;
  PoolDirectoryDeps d_;
  const ThreadApps& apps_;
  pool::PoolListener& listener_;
  std::shared_ptr<net::BoundedResolver> resolver_pool_;
  net::LoopResolver resolver_;
  WebPushOrigins origins_;
  UntrustedBacklog untrusted_;
  UntrustedWindow window_;  // before guards_, whose limits point at it
  std::vector<OriginGuard*> untrusted_guards_;  // tick_guards()'s scratch
  std::vector<Fixed> fixed_;                                             // by app_id
  std::unordered_map<std::string, std::unique_ptr<pool::Pool>> pools_;  // "app_id|origin"
  std::string key_;                                                      // scratch for pools_ lookups
  std::vector<pool::Pool*> dirty_;
  std::unordered_map<const pool::Pool*, std::unique_ptr<OriginGuard>> guards_;
  const pool::Pool* last_guard_pool_ = nullptr;  // one-entry cache for guard_for()
  OriginGuard* last_guard_ = nullptr;
  std::unordered_map<const pool::Pool*, uint64_t> reconnects_seen_;
  std::unordered_map<const pool::Pool*, int64_t> webpush_used_;  // Web Push pools: last use (monotonic ms)
  std::vector<std::unique_ptr<pool::Pool>> evicted_;            // shutting down after eviction
  std::vector<const pool::Pool*> closed_evicted_;               // evicted_ whose shutdown finished
  size_t evicting_ = 0;                                          // evicted_ still shutting down
  std::function<void()> evicted_closed_;                         // shutdown(): runs when evicting_ reaches 0
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  mutable std::mutex published_mu_;  // guards published_ (the only state read off the loop thread)
  std::vector<BreakerView> published_;
};

}  // namespace pushgw::dispatch
