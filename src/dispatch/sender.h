// A sender thread: one libuv loop, shared-nothing. It drains its SPSC ring of
// SendJobs, checks suppression, has the app's provider build each request,
// submits it to the origin's pool (one TLS write per pool per pass), and
// turns responses into final outcomes or retries.
//
// Its parts: Inbox (the ring and what the ingest thread calls: push, wake,
// stop), ThreadApps (the app table and this thread's providers),
// PoolDirectory (pools, Web Push origins, circuit breakers), StreamBacklogs
// (each APNs/FCM pool's build-ahead bound), RetryQueue
// (waits that come back), CapGate (marketing caps), OutcomeSink (the one path
// of a final outcome: store, spool, counters, completion) and SendPass (one
// credential read and one flush per pass). The Sender joins them: it owns the
// loop and the thread, sends one job, and reads one response.
//
// Threading: the ingest thread talks to a sender through its Inbox (jobs,
// doorbell, stop) and update_apps(); everything else runs on the sender's
// own thread. A finished batch that a client waits for is handed back
// through completions() (SPSC, sender -> ingest) and signalled with
// Deps::notify_ingest.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "dispatch/app_table.h"
#include "dispatch/cap_gate.h"
#include "dispatch/cap_table.h"
#include "dispatch/config.h"
#include "dispatch/counters.h"
#include "dispatch/in_flight.h"
#include "dispatch/inbox.h"
#include "dispatch/outcome_sink.h"
#include "dispatch/pool_directory.h"
#include "dispatch/retry_queue.h"
#include "dispatch/stats.h"
#include "dispatch/stream_backlog.h"
#include "dispatch/suspect_guard.h"
#include "dispatch/thread_apps.h"
#include "dispatch/verdict_hold.h"
#include "pushgw/verdict.h"
#include "loop/async.h"
#include "loop/check.h"
#include "loop/loop.h"
#include "loop/mailbox.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "pool/pool.h"
#include "pushgw/clock.h"
#include "pushgw/job.h"
#include "queue/spsc_ring.h"

namespace pushgw::store {
class Store;
}
namespace pushgw::net {
class TlsContext;
class BoundedResolver;
}
namespace pushgw::spool {
class Spool;
}

namespace pushgw::dispatch {

class SendPass;

struct SenderDeps {
  int index = 0;
  int threads = 1;
  uint64_t sched_slice_ns = 0;  // [server] latency_slice_us: the thread's time slice (0 = kernel default)
  std::shared_ptr<const AppTable> apps;
  std::shared_ptr<net::TlsContext> tls;
  DeliveryConfig delivery;
  store::Store* store = nullptr;       // optional: suppression + outcome records
  spool::Spool* spool = nullptr;       // optional: final outcomes are marked done in the durable spool
  bool delivery_tracking = true;       // [store] track_sends: record every outcome, not just verdicts
  CapTable* caps = nullptr;            // optional: [policy] marketing frequency caps (shared by all senders)
  SuspectGuard* suspect = nullptr;     // optional: the suspect-app guard (shared by all senders)
  bool allow_cap_override = false;     // [policy] allow_cap_override: honour a request's "cap":false
  const Clock* clock = nullptr;
  obs::Logger log;
  size_t ring_capacity = 65536;  // the sender's share (Inbox): ring size and back-pressure bound
  size_t max_in_flight = 8192;
  metrics::Registry* registry = nullptr;          // optional Prometheus registry
  metrics::GatewayFamilies* families = nullptr;   // its gateway families
  // Creates the sender's pools (one per origin) on its loop; empty: the HTTP/2
  // pool over TLS with `tls` (pool::h2_pools). Tests inject fakes here.
  pool::PoolFactory pools;
  // Uniform in [0, 1), for backoff and breaker jitter; empty: a PRNG of this
  // thread. Called on the sender thread only.
  std::function<double()> random;
  // Resolves Web Push origin names; shared by the daemon's senders (empty:
  // one of the sender's own, [delivery] webpush_resolver_threads threads).
  // Tests inject one with a fake lookup.
  std::shared_ptr<net::BoundedResolver> webpush_resolver;
  // Test hook (PUSHGW_TEST_HOOKS): lets a test block this loop to prove the watchdog notices.
  bool test_hooks = false;
  // Called on the sender thread after it freed ring space, completed a
  // waited-for batch or stopped (inbox().stopped() is true by then); must be cheap
  // and thread-safe (a uv_async_send).
  std::function<void()> notify_ingest;
};

class Sender final : public pool::PoolListener {
 public:
  explicit Sender(SenderDeps deps);
  ~Sender() override;
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void start();
  void join();

  // Any thread: push jobs, ring the doorbell, ask it to stop, see it stopped.
  Inbox& inbox() { return inbox_; }
  queue::SpscRing<Batch*>& completions() { return sink_.completions(); }
  const SenderStats& stats() const { return counters_.stats(); }
  // Ingest thread (reload): a new app table; existing app_ids keep their
  // meaning, new apps are appended. Applied before any job that uses a new id.
  void update_apps(std::shared_ptr<const AppTable> apps) { apps_mailbox_.post(std::move(apps)); }
  // Test hook: block this sender's loop for ms (only when deps.test_hooks).
  void test_stall(int ms);
  // Any thread: this sender's breakers that ever opened, as of its last
  // housekeeping tick.
  std::vector<BreakerView> breakers() const { return pools_.breakers(); }

  void on_complete(void* user, HttpRequest& req, HttpResponse& resp, pool::TransportError err,
                   uint32_t conn_id) override;

 private:
  void run();
  // Jobs waiting for their pool's streams (pools below the bound again),
  // due retries, then the ingest ring, while the in-flight window has room
  // and the outcome sink is not backpressured.
  void drain();
  void housekeeping();
  // Check: an APNs/FCM job waits unbuilt while its pool is at the
  // build-ahead bound (StreamBacklogs); Checked: it comes from that wait, or
  // the ring's drain looked at the bound already.
  enum class Bound : uint8_t { Check, Checked };
  void send_one(const SendJob& job, SendPass& pass, Bound bound = Bound::Check);
  void submit_to(const SendJob& job, Provider& prov, pool::Pool& pool, OriginGuard& guard, SendPass& pass,
                 uint64_t key);
  // key: Store::key() of the token (0: not computed), kept with the request
  // for its outcome record.
  void submit(const SendJob& job, Provider& prov, pool::Pool& pool, OriginGuard& guard, bool probe, SendPass& pass,
              uint64_t key);
  void park_for_credential(const SendJob& job, int64_t now_ms);
  // A Web Push name resolved (or failed): the jobs parked for it go now.
  void send_parked(std::vector<SendJob>& jobs);
  void on_verdict(InFlight* f, const Verdict& v, uint32_t conn_id, int64_t now_ms);
  void on_transport_error(InFlight* f, pool::TransportError err, int64_t now_ms);
  // name_wait: waiting for a Web Push origin's name (RetryQueue::backoff).
  void retry(const SendJob& job, int64_t retry_after_ms, int64_t min_delay_ms, std::string_view reason,
             int http_status, int64_t now_ms, bool name_wait = false);
  void maybe_finish_stop();
  void fail_everything_left();
  void close_loop();

  SenderDeps d_;
  loop::Loop loop_;  // before every handle: destroyed (and run to release them) last
  std::mt19937_64 rng_;
  std::function<double()> rand01_;  // deps.random, or rng_
  ThreadApps apps_;
  SenderCounters counters_;
  OutcomeSink sink_;
  VerdictHold hold_;  // mismatch answers wait here before the sink (suspect guard)
  RetryQueue retries_;
  InFlightSlab in_flight_;
  PoolDirectory pools_;  // after in_flight_: pools never outlive the requests they hold
  StreamBacklogs backlogs_;  // APNs/FCM jobs waiting unbuilt for their pool's streams
  CapGate caps_;
  std::vector<SendJob> drain_buf_;
  Verdict verdict_;            // on_complete's, kept for its strings' capacity
  bool verdict_busy_ = false;  // verdict_ is in use (a nested completion takes its own)
  Inbox inbox_;
  loop::Mailbox<std::shared_ptr<const AppTable>> apps_mailbox_;  // reload hand-off
  loop::Timer housekeeping_;
  loop::Check after_io_;
  std::thread thread_;

  uint64_t sweep_ticks_ = 0;  // housekeeping passes
  bool need_drain_ = false;   // completions freed room: refill after this I/O pass
  uint64_t credentials_seen_ = 0;  // Inbox::credentials() at the last drain
  bool closing_ = false;      // pools shutting down: no new sends
  bool pools_closed_ = false;
  std::atomic<int> stall_ms_{0};
};

}  // namespace pushgw::dispatch
