// A sender thread: one libuv loop, shared-nothing. It drains its SPSC ring of
// SendJobs, checks suppression, has the app's provider build each request,
// submits it to the origin's pool (one TLS write per pool per drain), and
// turns responses into final outcomes or retries.
//
// Threading: push()/wake()/request_stop() are called by the ingest thread;
// everything else runs on the sender's own thread. A finished batch that a
// client waits for is handed back through completions() (SPSC, sender ->
// ingest) and signalled with Deps::notify_ingest.
#pragma once
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "dispatch/app_table.h"
#include "dispatch/cap_table.h"
#include "dispatch/circuit_breaker.h"
#include "dispatch/retry_policy.h"
#include "dispatch/sender_metrics.h"
#include "dispatch/stats.h"
#include "dispatch/webpush_origins.h"
#include "obs/log.h"
#include "pool/pool.h"
#include "pushgw/clock.h"
#include "pushgw/job.h"
#include "queue/spsc_ring.h"
#include "spool/record.h"

namespace pushgw::store {
class Store;
}
namespace pushgw::net {
class TlsContext;
}
namespace pushgw::spool {
class Spool;
}

namespace pushgw::dispatch {

struct SenderDeps {
  int index = 0;
  int threads = 1;
  std::shared_ptr<const AppTable> apps;
  std::shared_ptr<net::TlsContext> tls;
  config::DeliveryConfig delivery;
  store::Store* store = nullptr;       // optional: suppression + outcome records
  spool::Spool* spool = nullptr;       // optional: final outcomes are marked done in the durable spool
  bool delivery_tracking = true;       // [store] track_sends: record every outcome, not just verdicts
  CapTable* caps = nullptr;            // optional: [policy] marketing frequency caps (shared by all senders)
  bool allow_cap_override = false;     // [policy] allow_cap_override: honour a request's "cap":false
  const Clock* clock = nullptr;
  obs::Logger log;
  size_t ring_capacity = 65536;
  size_t max_in_flight = 8192;
  metrics::Registry* registry = nullptr;          // optional Prometheus registry
  metrics::GatewayFamilies* families = nullptr;   // its gateway families
  // Creates the sender's pools (one per origin) on its loop; empty: the HTTP/2
  // pool over TLS with `tls` (pool::h2_pools). Tests inject fakes here.
  pool::PoolFactory pools;
  // Test hook (PUSHGW_TEST_HOOKS): lets a test block this loop to prove the watchdog notices.
  bool test_hooks = false;
  // Called on the sender thread after it freed ring space or completed a
  // waited-for batch; must be cheap and thread-safe (a uv_async_send).
  std::function<void()> notify_ingest;
};

class Sender final : public pool::PoolListener {
 public:
  explicit Sender(SenderDeps deps);
  ~Sender() override;
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void start();
  // Ingest thread: enqueue jobs (returns how many fit) and ring the doorbell.
  size_t push(const SendJob* jobs, size_t n) { return ring_.push_many(jobs, n); }
  void wake();
  // Ingest thread: finish what is queued and in flight, then stop; whatever
  // is left at deadline (monotonic ns) fails with reason "shutdown".
  void request_stop(int64_t deadline_mono_ns);
  void join();

  queue::SpscRing<Batch*>& completions() { return completions_; }
  const SenderStats& stats() const { return stats_; }
  size_t ring_size() const { return ring_.size_approx(); }
  size_t ring_capacity() const { return ring_.capacity(); }
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // Ingest thread (reload): a new app table; existing app_ids keep their
  // meaning, new apps are appended. Applied before any job that uses a new id.
  void update_apps(std::shared_ptr<const AppTable> apps);
  // Test hook: block this sender's loop for ms (only when deps.test_hooks).
  void test_stall(int ms);

  void on_complete(void* user, HttpRequest& req, HttpResponse& resp, pool::TransportError err,
                   uint32_t conn_id) override;

 private:
  struct InFlight;
  struct PoolKey;
  struct RetryItem {
    int64_t due_ms;
    SendJob job;
    bool operator>(const RetryItem& o) const { return due_ms > o.due_ms; }
  };

  void run();
  void drain();
  void begin_drain_providers(int64_t now_ms);
  void send_one(const SendJob& job, int64_t now_ms);
  // Campaign policy for a job fresh from the ring: false when it was
  // finished here (capped).
  bool admit_policy(const SendJob& job, int64_t now_ms);
  pool::Pool* pool_for(uint16_t app_id, std::string_view origin, const std::string& connect_ip);
  pool::Pool* webpush_pool(const SendJob& job, std::string_view origin, int64_t now_ms);
  void park(const SendJob& job, int64_t now_ms);
  void on_verdict(InFlight* f, const Verdict& v, uint32_t conn_id, int64_t now_ms);
  void on_transport_error(InFlight* f, pool::TransportError err, int64_t now_ms);
  void retry(const SendJob& job, int64_t retry_after_ms, int64_t min_delay_ms, std::string_view reason,
             int http_status, int64_t now_ms);
  void finish(const SendJob& job, Status st, int http_status, std::string_view reason, std::string_view id,
              int64_t since_ms);
  void release_in_flight(InFlight* f);
  void arm_retry_timer();
  void on_retry_timer();
  void flush_completions();
  void maybe_finish_stop();
  void fail_everything_left();
  void publish_stats();
  // Reliability: a circuit breaker per pool (jobs held while it is open) and
  // the spool's done markers (coalesced ranges, appended once per loop turn).
  OriginGuard& guard_for(pool::Pool* p);
  void release_held(OriginGuard& g, int64_t now_ms);
  void tick_guards(int64_t now_ms);
  size_t held_total() const;
  void spool_done(const SendJob& job);
  void flush_spool();
  double rand01() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  SenderDeps d_;
  RetryPolicy policy_;
  queue::SpscRing<SendJob> ring_;
  queue::SpscRing<Batch*> completions_;
  std::vector<Batch*> completion_backlog_;  // completions that did not fit the ring yet
  SenderStats stats_;

  std::thread thread_;
  uv_loop_t loop_{};
  uv_async_t wake_{};
  uv_timer_t retry_timer_{};
  uv_timer_t housekeeping_{};
  uv_check_t after_io_{};
  bool need_drain_ = false;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};
  std::atomic<bool> stopped_{false};
  bool stopping_ = false;
  bool pools_closing_ = false;

  std::vector<std::unique_ptr<Provider>> providers_;           // by app_id
  std::vector<pool::Pool*> fixed_pools_;                       // by app_id (APNs/FCM: one origin)
  std::unordered_map<std::string, std::unique_ptr<pool::Pool>> pools_;  // "app_id|origin"
  std::vector<pool::Pool*> dirty_pools_;                       // pools to flush after a drain
  std::unordered_map<const pool::Pool*, std::unique_ptr<OriginGuard>> guards_;
  const pool::Pool* last_guard_pool_ = nullptr;                // one-entry cache for guard_for()
  OriginGuard* last_guard_ = nullptr;
  std::vector<spool::DoneRange> spool_done_;

  std::vector<std::unique_ptr<InFlight>> in_flight_store_;
  std::vector<InFlight*> free_in_flight_;
  size_t in_flight_ = 0;
  std::priority_queue<RetryItem, std::vector<RetryItem>, std::greater<>> retries_;
  int64_t retry_timer_due_ = 0;
  std::mt19937_64 rng_;
  std::vector<SendJob> drain_buf_;
  std::unique_ptr<WebPushOrigins> origins_;
  std::unique_ptr<SenderMetrics> metrics_;
  std::shared_ptr<const AppTable> apps_;           // loop thread's view
  std::mutex pending_apps_mu_;                     // reload handoff (rare)
  std::shared_ptr<const AppTable> pending_apps_;
  std::atomic<bool> apps_pending_{false};
  void apply_pending_apps();
  std::atomic<int> stall_ms_{0};
};

}  // namespace pushgw::dispatch
