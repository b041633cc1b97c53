// pushgwd's composition root: builds every part from the config, wires them
// together, runs the main loop until SIGTERM has drained. The work is done by
// the parts, each owning one concern:
//   admission::Front           request lines (socket, ingest source) -> send or op
//   admission::Admission       validation, backlog, lanes, back-pressure
//   admission::RequestTracker  durability steps before each answer
//   dispatch::Fleet            the sender threads
//   schedule::Scheduler        scheduled sends (claim timer, due rows)
//   ingest::OpRegistry         the ops, registered by ops/, schedule/ and here
//   Drain                      the SIGTERM order
//   systemd::Watchdog          WATCHDOG=1 while every loop turns
//   OperatorView               what stats and /metrics read from the parts
//
// Members are declared in the order they are built and each may use only
// those above it; C++ destroys them in reverse, which is the teardown order
// the parts need, so no teardown is written by hand: the senders stop before
// the spool and the store they write to; the spool writes its last done
// markers before the store commits its last outcomes; the Inbox outlives
// both (their last callbacks may still post to it; undelivered, they are
// dropped with the Inbox); the loop goes last and finishes every close.
//
// Threading: everything here runs on the main thread (the main loop).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "admission/clients.h"
#include "admission/front.h"
#include "admission/request_tracker.h"
#include "daemon/apps.h"
#include "daemon/drain.h"
#include "daemon/oauth_refresher.h"
#include "daemon/operator_view.h"
#include "daemon/stats.h"
#include "daemon/systemd/sd_notify.h"
#include "daemon/systemd/watchdog.h"
#include "dispatch/cap_table.h"
#include "dispatch/fleet.h"
#include "dispatch/suspect_guard.h"
#include "ingest/op_registry.h"
#include "ingest/server.h"
#include "loop/inbox.h"
#include "loop/loop.h"
#include "loop/pending_ops.h"
#include "loop/signal.h"
#include "metrics/gateway_metrics.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "net/tls_context.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "redis/stream_source.h"
#include "settings/settings.h"
#include "schedule/policy.h"
#include "schedule/row_store.h"
#include "schedule/scheduler.h"
#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::daemon {

struct Options {
  std::string config_path;
  std::string socket;       // overrides [server] socket when set
  bool test_hooks = false;  // PUSHGW_TEST_HOOKS=1: ops "test_stall" and "test_clock"
};

class Daemon final {
 public:
  // Builds everything, replays the spool, listens (metrics, then the
  // socket), starts. The config is loaded and checked (build_apps,
  // Policy::check) by the caller. nullptr on failure, which is logged.
  static std::unique_ptr<Daemon> open(Options opts, std::shared_ptr<const settings::Settings> cfg,
                                      std::unique_ptr<Apps> apps);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs the main loop until SIGTERM/SIGINT has drained.
  void run() { loop_.run(); }
  const obs::Logger& log() const { return log_; }

 private:
  Daemon(Options opts, std::shared_ptr<const settings::Settings> cfg, std::unique_ptr<Apps> apps);

  // daemon_build.cc: the parts, in declaration order.
  Result<void> open_parts();
  Result<void> open_store();
  Result<void> open_spool();
  Result<void> open_oauth();
  void build_fleet();
  void build_admission();
  void register_ops();
  Result<void> listen_metrics();
  Result<void> listen_socket();
  void start();
  void start_watchdog();

  // daemon.cc: what happens while it runs.
  StatsView stats_view() const;
  // Why /healthz answers 503 ("" = it does not): a store outage.
  std::string health_problem() const;
  void on_reload();
  Result<std::vector<FcmCredential>> apply(std::shared_ptr<const settings::Settings> cfg);
  void on_stop(int signum);
  void close_listeners();

  const Options opts_;
  loop::Loop loop_;  // destroyed last
  std::shared_ptr<const settings::Settings> config_;
  std::shared_ptr<obs::LogSink> sink_;
  obs::Logger log_;
  obs::Logger ingest_log_;
  SystemClock clock_;
  OffsetClock test_clock_;  // test hooks: what "send_at" and due times are decided against
  systemd::NotifyFn notify_;
  std::unique_ptr<Apps> apps_;
  std::shared_ptr<net::TlsContext> tls_;
  loop::PendingOps answers_;  // answers owed to clients (the drain waits, with a grace)
  loop::PendingOps work_;     // other threads' results still to come back here (always waited for)
  loop::Inbox inbox_;         // store and spool threads -> this loop
  dispatch::CapTable caps_;   // [policy] marketing caps; the store thread feeds it
  std::unique_ptr<store::Store> store_;  // its destructor commits what is queued
  std::unique_ptr<spool::Spool> spool_;  // its destructor writes and syncs the last done markers
  metrics::Registry registry_;
  metrics::GatewayFamilies families_;
  std::unique_ptr<OAuthRefresher> oauth_;
  schedule::Policy policy_;
  std::unique_ptr<schedule::StoreRows> rows_;
  ingest::OpRegistry ops_;
  // Holds and judges verdicts that can mean a config mistake ([delivery]
  // suspect_*); the senders use it, so it outlives them.
  std::unique_ptr<dispatch::SuspectGuard> suspect_;
  std::unique_ptr<dispatch::Fleet> fleet_;  // its destructor joins the sender threads
  std::unique_ptr<schedule::Scheduler> scheduler_;
  std::unique_ptr<admission::Clients> clients_;
  std::unique_ptr<admission::RequestTracker> tracker_;
  std::unique_ptr<admission::Admission> admission_;
  std::unique_ptr<admission::Front> front_;
  std::unique_ptr<ingest::Server> server_;  // closed by the drain (or never listening)
  std::unique_ptr<redis::StreamSource> redis_;
  std::unique_ptr<OperatorView> view_;  // read by the stats op and the metrics registry
  std::unique_ptr<metrics::MetricsServer> metrics_;
  std::unique_ptr<systemd::Watchdog> watchdog_;
  std::unique_ptr<Drain> drain_;
  std::unique_ptr<loop::Signal> sighup_, sigterm_, sigint_;
  bool stopping_ = false;
};

}  // namespace pushgw::daemon
