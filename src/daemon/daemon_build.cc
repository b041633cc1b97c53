// Daemon: building the parts, in the order they are declared in daemon.h.
#include <cstring>
#include <thread>

#include "daemon/admin_ops.h"
#include "daemon/daemon_metrics.h"
#include "daemon/daemon.h"
#include "daemon/redis_ingest.h"
#include "admission/replay.h"
#include "base/sched_slice.h"
#include "ops/campaign_ops.h"
#include "net/name_resolver.h"
#include "ops/store_ops.h"
#include "schedule/schedule_ops.h"
#include "spool/config.h"
#include "store/engines/open.h"

namespace pushgw::daemon {

namespace {

std::shared_ptr<obs::LogSink> make_sink(const settings::Settings& cfg) {
  obs::Level level = obs::Level::Info;
  obs::parse_level(cfg.log.level, level);
  obs::Format format = obs::Format::Text;
  obs::parse_format(cfg.log.format, format);
  return std::make_shared<obs::LogSink>(level, 2, format);
}

int workers_for(const settings::Settings& cfg) {
  if (cfg.server.workers > 0) return cfg.server.workers;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace

Daemon::Daemon(Options opts, std::shared_ptr<const settings::Settings> cfg, std::unique_ptr<Apps> apps)
    : opts_(std::move(opts)),
      config_(std::move(cfg)),
      sink_(make_sink(*config_)),
      log_(sink_, "daemon"),
      ingest_log_(sink_, "ingest"),
      notify_(systemd::systemd_notifier()),
      apps_(std::move(apps)),
      answers_(loop_.get()),
      work_(loop_.get()),
      inbox_(loop_.get()),
      caps_(dispatch::CapLimits{config_->policy.marketing_per_hour, config_->policy.marketing_per_day}),
      families_(registry_),
      policy_(ingest_log_) {
  inbox_.unref();  // open until the store and the spool are gone; never why the loop runs
  for (const auto& w : config_->warnings) PGW_LOG(log_, Warn, "%s", w.c_str());
  policy_.apply(config_->policy);
  metrics::register_build_info(registry_, PUSHGW_VERSION);
}

std::unique_ptr<Daemon> Daemon::open(Options opts, std::shared_ptr<const settings::Settings> cfg,
                                     std::unique_ptr<Apps> apps) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(opts), std::move(cfg), std::move(apps)));
  if (auto r = d->open_parts(); !r.ok()) {
    PGW_LOG(d->log_, Error, "%s", r.error().message.c_str());
    return nullptr;
  }
  return d;
}

// Everything that can fail comes before the socket listens, so a failure
// leaves nothing open that a client could reach.
Result<void> Daemon::open_parts() {
  auto tls = net::TlsContext::create(config_->tls.ca_file);
  if (!tls.ok()) return make_error(tls.error().code, "tls: " + tls.error().message);
  tls_ = tls.value();
  if (auto r = open_store(); !r.ok()) return r;
  if (auto r = open_spool(); !r.ok()) return r;
  if (auto r = open_oauth(); !r.ok()) return r;
  build_fleet();
  build_admission();
  register_ops();
  // What the spool holds unfinished is queued before the socket accepts anything.
  if (spool_) {
    admission::replay_spool(spool_->take_unfinished(), *spool_, *admission_, clock_, ingest_log_);
    spool_->start();
  }
  if (auto r = listen_metrics(); !r.ok()) return r;
  if (auto r = listen_socket(); !r.ok()) return r;
  start();
  return ok();
}

Result<void> Daemon::open_store() {
  auto opened = store::open_store(config_->store, workers_for(*config_), clock_, obs::Logger(sink_, "store"));
  if (!opened.ok()) return make_error(opened.error().code, "store: " + opened.error().message);
  store_ = std::move(opened.value());
  // The caps' rolling windows are rebuilt from the sends the store recorded
  // (before the store thread starts); on a database shared with other
  // instances, their admitted sends keep arriving (within a second).
  if (caps_.limits().enabled()) {
    auto history = store_->campaigns().load_marketing_sends(clock_.now_ms() - dispatch::CapTable::kDayMs,
                                                [this](uint64_t key, int64_t at_ms) { caps_.load(key, at_ms); });
    if (!history.ok()) return make_error(history.error().code, "store: " + history.error().message);
    store_->campaigns().on_remote_marketing_send([this](uint64_t key, int64_t at_ms) { caps_.load(key, at_ms); });
  }
  store_->start();
  rows_ = std::make_unique<schedule::StoreRows>(*store_);
  return ok();
}

// Durable spool (on when the config has a [spool] table): the journal is
// read now; what it holds unfinished is replayed in open_parts().
Result<void> Daemon::open_spool() {
  if (!config_->spool.enabled) return ok();
  auto opened = spool::Spool::open(spool::options_from(config_->spool), obs::Logger(sink_, "spool"));
  if (!opened.ok()) return make_error(opened.error().code, "spool: " + opened.error().message);
  spool_ = std::move(opened.value());
  return ok();
}

// One OAuth refresher for every FCM service account (one fetch per project).
Result<void> Daemon::open_oauth() {
  oauth_ = std::make_unique<OAuthRefresher>(loop_.get(), tls_, clock_, obs::Logger(sink_, "oauth"),
                                            config_->delivery.connect_timeout_ms, config_->delivery.request_timeout_ms);
  for (const auto& cred : apps_->fcm_credentials)
    if (auto added = oauth_->add(cred); !added.ok()) return added;
  return ok();
}

void Daemon::build_fleet() {
  dispatch::Fleet::Options o;
  o.workers = workers_for(*config_);
  o.max_queued = config_->server.max_queued;
  dispatch::SenderDeps& sd = o.sender;
  sd.apps = apps_->table;
  sd.tls = tls_;
  sd.delivery = config_->delivery;
  sd.store = store_.get();
  sd.spool = spool_.get();
  sd.delivery_tracking = config_->store.track_sends;
  sd.caps = &caps_;
  sd.allow_cap_override = config_->policy.allow_cap_override;
  sd.clock = &clock_;
  sd.sched_slice_ns = static_cast<uint64_t>(config_->server.latency_slice_us) * 1000;
  sd.log = obs::Logger(sink_, "sender");
  sd.registry = &registry_;
  sd.families = &families_;
  sd.test_hooks = opts_.test_hooks;
  suspect_ = std::make_unique<dispatch::SuspectGuard>(config_->delivery, obs::Logger(sink_, "suspect"));
  suspect_->update_apps(apps_->table);
  sd.suspect = suspect_.get();
  // One resolver for every sender's Web Push names: its threads bound the
  // getaddrinfo calls attacker-chosen names may tie up, daemon-wide.
  net::BoundedResolver::Options ro;
  ro.threads = config_->delivery.webpush_resolver_threads;
  sd.webpush_resolver = std::make_shared<net::BoundedResolver>(ro);
  dispatch::Fleet::Hooks hooks{[this](Batch* b) { tracker_->batch_done(b); }, [this] { admission_->pump(); }};
  fleet_ = std::make_unique<dispatch::Fleet>(loop_.get(), std::move(o), std::move(hooks));
}

void Daemon::build_admission() {
  const Clock* schedule_clock = opts_.test_hooks ? static_cast<const Clock*>(&test_clock_) : &clock_;
  scheduler_ = std::make_unique<schedule::Scheduler>(
      schedule::Scheduler::Deps{loop_.get(), rows_.get(), schedule_clock, &inbox_, &work_, ingest_log_});
  clients_ = std::make_unique<admission::Clients>(
      [this](uint64_t conn, std::string line) { server_->respond(conn, std::move(line)); }, inbox_, answers_);
  admission::RequestTracker::Deps td{clients_.get(), scheduler_.get(), nullptr, nullptr, &inbox_, &answers_, &work_};
  if (spool_)
    td.journal = [this](std::string_view line, int64_t at, std::vector<spool::BatchCount> counts,
                        std::function<void(bool)> on_commit) {
      return spool_->append_accepted(line, at, std::move(counts), std::move(on_commit));
    };
  if (store_) td.after_commit = [this](std::function<void()> done) { store_->after_commit(std::move(done)); };
  tracker_ = std::make_unique<admission::RequestTracker>(std::move(td));
  admission_ = std::make_unique<admission::Admission>(admission::Admission::Deps{
      loop_.get(), fleet_.get(), tracker_.get(), clients_.get(), scheduler_.get(), &policy_, &clock_,
      [this](bool paused) { paused ? server_->pause_reading() : server_->resume_reading(); },
      [this] { return store_->failing_since_ms() != 0; }, &registry_, &families_, ingest_log_,
      [this] { return spool_ != nullptr && spool_->failing(); }});
  admission_->set_apps(apps_->table, &apps_->directory);
  scheduler_->set_intake(admission_.get());
  front_ = std::make_unique<admission::Front>(
      *admission_, ops_, *clients_, config_->server.max_line_bytes,
      [this](uint64_t since, uint32_t limit, std::function<void(Result<ingest::FeedbackPage>)> cb) {
        ops::read_feedback(store_.get(), since, limit,
                           inbox_.bind<Result<ingest::FeedbackPage>>(answers_.hold(), std::move(cb)));
      });
  const auto& sc = config_->server;
  const ingest::Server::Limits limits{sc.max_line_bytes, static_cast<size_t>(sc.max_connections),
                                      static_cast<uint64_t>(sc.max_pipelined_requests),
                                      static_cast<uint64_t>(sc.idle_timeout_seconds) * 1000};
  server_ = std::make_unique<ingest::Server>(loop_.get(), *front_, limits, ingest_log_);
  server_->set_allowed(config_->server.allowed_uids, config_->server.allowed_gids);
  redis_ = make_redis_ingest(loop_.get(), *config_, *front_, clock_, sink_, registry_);
  clients_->attach_source(redis_.get());
  view_ = std::make_unique<OperatorView>(
      OperatorView::Parts{apps_, *admission_, *fleet_, suspect_.get(), config_->server.max_queued});
}

void Daemon::register_ops() {
  register_admin_ops(ops_, [this] { return stats_view(); }, opts_.test_hooks ? fleet_.get() : nullptr);
  ops::register_store_ops(ops_, store_.get());
  ops::register_campaign_ops(ops_, store_.get(), clock_);
  schedule::register_schedule_ops(ops_, *scheduler_, opts_.test_hooks ? &test_clock_ : nullptr);
  // The test ops stall senders and move the scheduling clock: with
  // PUSHGW_TEST_HOOKS=1 they answer a root peer, or anyone in a test build
  // (-DPUSHGW_TEST_HOOKS=ON).
  for (const char* op : {"test_stall", "test_clock"}) {
    ops_.guard(op, [this](uint64_t conn_id) {
#ifdef PUSHGW_TEST_BUILD
      (void)conn_id;
      return true;
#else
      return server_ != nullptr && server_->peer_uid(conn_id) == 0u;
#endif
    });
  }
}

Result<void> Daemon::listen_metrics() {
  register_daemon_metrics(registry_, *view_, *store_, spool_.get());
  metrics::MetricsServer::Options mopts;
  mopts.log = obs::Logger(sink_, "metrics");
  metrics::MetricsServer::Handlers handlers{[this] { return registry_.render(); }, nullptr,
                                            [this] { return health_problem(); }};
  metrics_ = std::make_unique<metrics::MetricsServer>(loop_.get(), std::move(handlers), mopts);
  auto listening = metrics_->listen(config_->metrics.listen);
  if (!listening.ok())
    return make_error(listening.error().code,
                      "metrics listen " + config_->metrics.listen + ": " + listening.error().message);
  return ok();
}

Result<void> Daemon::listen_socket() {
  const std::string& path = opts_.socket.empty() ? config_->server.socket : opts_.socket;
  auto listening = systemd::listen_fds() > 0 ? server_->adopt(systemd::listen_fd_start())
                                             : server_->listen(path, config_->server.socket_mode);
  if (!listening.ok())
    return make_error(listening.error().code, "socket " + path + ": " + listening.error().message);
  return ok();
}

void Daemon::start() {
  // The ingest loop (this thread) hands work on as it arrives: a short time
  // slice, like the senders'. The store and the spool keep the default.
  if (int e = request_sched_slice_ns(static_cast<uint64_t>(config_->server.latency_slice_us) * 1000); e != 0)
    PGW_LOG(log_, Info, "latency_slice_us not applied: %s", strerror(e));
  fleet_->start();
  scheduler_->start();
  oauth_->on_token([this] { fleet_->credentials_changed(); });
  oauth_->start();
  if (redis_) redis_->start();
  start_watchdog();
  drain_ = std::make_unique<Drain>(
      loop_.get(), clock_, answers_, work_,
      Drain::Steps{[this](int64_t deadline, std::function<void()> done) {
                     scheduler_->stop();
                     admission_->drain(deadline, std::move(done));
                   },
                   [this](int64_t deadline, std::function<void()> done) { fleet_->stop(deadline, std::move(done)); }});
  sighup_ = std::make_unique<loop::Signal>(loop_.get(), SIGHUP, [this] { on_reload(); });
  sigterm_ = std::make_unique<loop::Signal>(loop_.get(), SIGTERM, [this] { on_stop(SIGTERM); });
  sigint_ = std::make_unique<loop::Signal>(loop_.get(), SIGINT, [this] { on_stop(SIGINT); });
  PGW_LOG(log_, Info, "pushgwd %s listening on %s with %d sender threads, %zu apps", PUSHGW_VERSION,
          (opts_.socket.empty() ? config_->server.socket : opts_.socket).c_str(), fleet_->count(),
          config_->apns.size() + config_->fcm.size() + config_->webpush.size());
  systemd::notify_ready(notify_, "");
}

// WATCHDOG=1 only while the main loop (where the check runs) and every
// sender loop keep turning.
void Daemon::start_watchdog() {
  auto o = systemd::Watchdog::from_environment();
  o.status = [this] { return status_line(stats_view()); };
  o.log = obs::Logger(sink_, "watchdog");
  watchdog_ = std::make_unique<systemd::Watchdog>(loop_.get(), std::move(o));
  for (const auto& [name, turns] : fleet_->heartbeats()) watchdog_->add_source(name, turns);
  watchdog_->start();
  register_watchdog_metrics(registry_, *watchdog_);
}

}  // namespace pushgw::daemon
