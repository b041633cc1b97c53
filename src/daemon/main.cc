// pushgwd: parse arguments, load the config, start store, senders and the
// socket, run the main loop until SIGTERM has drained.
#include <jemalloc/jemalloc.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <cstdlib>
#include <thread>

#include "daemon/apps.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gateway.h"
#include "daemon/oauth_refresher.h"
#include "daemon/redis_ingest.h"
#include "metrics/gateway_metrics.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "metrics/sd_notify.h"
#include "metrics/watchdog.h"
#include "net/tls_context.h"
#include "obs/log.h"
#include "settings/settings.h"
#include "spool/config.h"
#include "spool/spool.h"
#include "store/engines/open.h"
#include "store/store.h"

namespace {

struct Args {
  std::string config = "/etc/pushgw/pushgw.toml";
  std::string socket;
  bool check = false;
  bool version = false;
};

// --help goes to stdout (exit 0), a usage error to stderr (exit 2).
void usage(FILE* out) {
  fprintf(out,
          "usage: pushgwd [--config FILE] [--socket PATH] [--check-config] [--version]\n"
          "  --config FILE    configuration (default /etc/pushgw/pushgw.toml)\n"
          "  --socket PATH    override server.socket\n"
          "  --check-config   validate the configuration and exit (0 = valid)\n"
          "  --version        print the version and exit\n"
          "  --help           print this help and exit\n");
}

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (s == "--config" || s == "-c") {
      if (!value(a.config)) return false;
    } else if (s.rfind("--config=", 0) == 0) {
      a.config = s.substr(9);
    } else if (s == "--socket") {
      if (!value(a.socket)) return false;
    } else if (s.rfind("--socket=", 0) == 0) {
      a.socket = s.substr(9);
    } else if (s == "--check-config") {
      a.check = true;
    } else if (s == "--version" || s == "-V") {
      a.version = true;
    } else if (s == "--help" || s == "-h") {
      usage(stdout);
      exit(0);
    } else {
      fprintf(stderr, "pushgwd: unknown argument '%s'\n", s.c_str());
      return false;
    }
  }
  return true;
}

int workers_for(const pushgw::settings::Settings& cfg) {
  if (cfg.server.workers > 0) return cfg.server.workers;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

struct Daemon {
  uv_loop_t* loop;
  pushgw::daemon::Gateway* gateway;
  pushgw::daemon::OAuthRefresher* oauth;
  pushgw::metrics::MetricsServer* metrics;
  pushgw::metrics::Watchdog* watchdog;
  std::string config_path;
  pushgw::obs::LogSink* sink;
  pushgw::obs::Logger log;
  uv_signal_t sighup{};
  uv_signal_t sigterm{}, sigint{};
  bool stopping = false;
  pushgw::redis::StreamSource* redis = nullptr;  // [ingest.redis], if configured
};

// SIGHUP: re-read the config; apply it if valid, else keep the old one.
void on_reload_signal(uv_signal_t* h, int) {
  auto* d = static_cast<Daemon*>(h->data);
  if (d->stopping) return;
  pushgw::metrics::notify_reloading(pushgw::metrics::systemd_notifier());
  auto loaded = pushgw::settings::load(d->config_path);
  if (!loaded.ok()) {
    PGW_LOG(d->log, Error, "reload rejected, keeping the running config: %s", loaded.error().message.c_str());
    sd_notify(0, "READY=1");
    return;
  }
  for (const auto& w : loaded.value()->warnings) PGW_LOG(d->log, Warn, "%s", w.c_str());
  auto creds = d->gateway->reload(loaded.value());
  if (!creds.ok()) {
    PGW_LOG(d->log, Error, "reload rejected, keeping the running config: %s", creds.error().message.c_str());
    sd_notify(0, "READY=1");
    return;
  }
  for (const auto& c : creds.value()) {
    auto added = d->oauth->add(c);
    if (!added.ok()) PGW_LOG(d->log, Error, "reload: %s", added.error().message.c_str());
  }
  pushgw::obs::Level level;
  if (pushgw::obs::parse_level(loaded.value()->log.level, level)) d->sink->set_level(level);
  pushgw::obs::Format format;
  if (pushgw::obs::parse_format(loaded.value()->log.format, format)) d->sink->set_format(format);
  PGW_LOG(d->log, Info, "reloaded %s", d->config_path.c_str());
  sd_notify(0, "READY=1");
}

void on_stop_signal(uv_signal_t* h, int signum) {
  auto* d = static_cast<Daemon*>(h->data);
  if (d->stopping) return;
  d->stopping = true;
  sd_notify(0, "STOPPING=1");
  PGW_LOG(d->log, Info, "signal %d: draining", signum);
  d->watchdog->stop();
  if (d->redis) d->redis->stop_reading();
  d->gateway->shutdown([d] {
    // Drained: every answer is in, so the last XACKs can go out.
    if (d->redis) d->redis->close([] {});
    d->oauth->close([] {});
    d->metrics->close(nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&d->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&d->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&d->sighup), nullptr);
  });
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    usage(stderr);
    return 2;
  }
  if (args.version) {
    printf("pushgwd %s\n", PUSHGW_VERSION);
    return 0;
  }
  auto loaded = pushgw::settings::load(args.config);
  if (!loaded.ok()) {
    fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return 1;
  }
  std::shared_ptr<const pushgw::settings::Settings> cfg = loaded.value();
  auto apps = pushgw::daemon::build_apps(*cfg);
  if (!apps.ok()) {
    fprintf(stderr, "%s: %s\n", args.config.c_str(), apps.error().message.c_str());
    return 1;
  }
  // Quiet hours need default_tz to be a zone this machine has (tzdata).
  if (auto policy = pushgw::daemon::Gateway::check_policy(*cfg); !policy.ok()) {
    fprintf(stderr, "%s: %s\n", args.config.c_str(), policy.error().message.c_str());
    return 1;
  }
  if (args.check) {
    for (const auto& w : cfg->warnings) fprintf(stderr, "warning: %s\n", w.c_str());
    printf("%s: ok\n", args.config.c_str());
    return 0;
  }

  pushgw::obs::Level level = pushgw::obs::Level::Info;
  pushgw::obs::parse_level(cfg->log.level, level);
  pushgw::obs::Format format = pushgw::obs::Format::Text;
  pushgw::obs::parse_format(cfg->log.format, format);
  auto sink = std::make_shared<pushgw::obs::LogSink>(level, 2, format);
  pushgw::obs::Logger log(sink, "daemon");
  for (const auto& w : cfg->warnings) PGW_LOG(log, Warn, "%s", w.c_str());

  auto tls = pushgw::net::TlsContext::create(cfg->tls.ca_file);
  if (!tls.ok()) {
    PGW_LOG(log, Error, "tls: %s", tls.error().message.c_str());
    return 1;
  }
  pushgw::SystemClock clock;
  const int workers = workers_for(*cfg);
  // Campaign policy: marketing frequency caps. Declared before the store: the
  // store thread feeds it (other instances' sends) until the store is gone.
  pushgw::dispatch::CapTable caps(
      pushgw::dispatch::CapLimits{cfg->policy.marketing_per_hour, cfg->policy.marketing_per_day});
  auto store = pushgw::store::open_store(cfg->store, workers, clock, pushgw::obs::Logger(sink, "store"));
  if (!store.ok()) {
    PGW_LOG(log, Error, "store: %s", store.error().message.c_str());
    return 1;
  }
  // The caps' rolling windows are rebuilt from the sends the store recorded
  // (before the store thread starts); on a database shared with other
  // instances, their admitted sends keep arriving (within a second).
  if (caps.limits().enabled()) {
    auto history = store.value()->load_marketing_sends(
        clock.now_ms() - pushgw::dispatch::CapTable::kDayMs,
        [&caps](uint64_t key, int64_t at_ms) { caps.load(key, at_ms); });
    if (!history.ok()) {
      PGW_LOG(log, Error, "store: %s", history.error().message.c_str());
      return 1;
    }
    store.value()->on_remote_marketing_send([&caps](uint64_t key, int64_t at_ms) { caps.load(key, at_ms); });
  }
  store.value()->start();
  // Durable spool (on when the config has a [spool] table): read the journal
  // now; what it holds unfinished is queued again below, before the socket
  // accepts anything.
  std::unique_ptr<pushgw::spool::Spool> spool;
  if (cfg->spool.enabled) {
    auto opened = pushgw::spool::Spool::open(pushgw::spool::options_from(cfg->spool), pushgw::obs::Logger(sink, "spool"));
    if (!opened.ok()) {
      PGW_LOG(log, Error, "spool: %s", opened.error().message.c_str());
      return 1;
    }
    spool = std::move(opened.value());
  }

  uv_loop_t* loop = uv_default_loop();
  // One OAuth refresher for every FCM service account (one fetch per project).
  pushgw::daemon::OAuthRefresher oauth(loop, tls.value(), clock, pushgw::obs::Logger(sink, "oauth"),
                                       cfg->delivery.connect_timeout_ms, cfg->delivery.request_timeout_ms);
  for (const auto& cred : apps.value()->fcm_credentials) {
    auto added = oauth.add(cred);
    if (!added.ok()) {
      PGW_LOG(log, Error, "%s", added.error().message.c_str());
      return 1;
    }
  }
  oauth.start();
  pushgw::metrics::Registry registry;
  pushgw::metrics::GatewayFamilies families(registry);
  pushgw::metrics::register_build_info(registry, PUSHGW_VERSION);
  const char* hooks = getenv("PUSHGW_TEST_HOOKS");
  pushgw::daemon::Gateway::Deps deps;
  deps.registry = &registry;
  deps.families = &families;
  deps.test_hooks = hooks && std::string(hooks) == "1";
  deps.loop = loop;
  deps.config = cfg;
  deps.apps = std::move(apps.value());
  deps.tls = tls.value();
  deps.store = store.value().get();
  deps.caps = &caps;
  // Holds and judges verdicts that can mean a config mistake ([delivery] suspect_*).
  pushgw::dispatch::SuspectGuard suspect(cfg->delivery, pushgw::obs::Logger(sink, "suspect"));
  deps.suspect = &suspect;
  deps.spool = spool.get();
  deps.clock = &clock;
  // Test hooks: scheduling reads a clock op "test_clock" can move ahead.
  pushgw::OffsetClock test_clock;
  if (deps.test_hooks) {
    deps.schedule_clock = &test_clock;
    deps.test_clock = &test_clock;
  }
  deps.log_sink = sink;
  deps.workers = workers;
  pushgw::daemon::Gateway gateway(std::move(deps));
  if (spool) {
    gateway.replay(spool->take_unfinished());
    spool->start();
  }

  const std::string socket_path = args.socket.empty() ? cfg->server.socket : args.socket;
  int listen_fds = sd_listen_fds(1);
  auto listening = listen_fds > 0 ? gateway.adopt_socket(SD_LISTEN_FDS_START)
                                  : gateway.listen(socket_path, cfg->server.socket_mode);
  if (!listening.ok()) {
    PGW_LOG(log, Error, "socket %s: %s", socket_path.c_str(), listening.error().message.c_str());
    return 1;
  }
  gateway.start();
  auto redis_source = pushgw::daemon::start_redis_ingest(loop, *cfg, gateway, clock, sink, registry);

  pushgw::daemon::register_daemon_metrics(registry, gateway, *store.value(), spool.get());
  pushgw::metrics::MetricsServer::Options mopts;
  mopts.log = pushgw::obs::Logger(sink, "metrics");
  pushgw::metrics::MetricsServer metrics_server(loop, {[&registry] { return registry.render(); }, nullptr}, mopts);
  auto mlisten = metrics_server.listen(cfg->metrics.listen);
  if (!mlisten.ok()) {
    PGW_LOG(log, Error, "metrics listen %s: %s", cfg->metrics.listen.c_str(), mlisten.error().message.c_str());
    return 1;
  }

  // WATCHDOG=1 only while the main loop (where the check runs) and every
  // sender loop keep turning.
  auto wopts = pushgw::metrics::Watchdog::from_environment();
  wopts.status = [&gateway] { return gateway.status_line(); };
  wopts.log = pushgw::obs::Logger(sink, "watchdog");
  pushgw::metrics::Watchdog watchdog(loop, std::move(wopts));
  {
    int i = 0;
    for (const auto* hb : gateway.sender_heartbeats()) watchdog.add_source("sender" + std::to_string(i++), hb);
  }
  watchdog.start();
  pushgw::daemon::register_watchdog_metrics(registry, watchdog);

  Daemon d{loop, &gateway, &oauth, &metrics_server, &watchdog, args.config, sink.get(), log};
  d.redis = redis_source.get();
  uv_signal_init(loop, &d.sighup);
  d.sighup.data = &d;
  uv_signal_start(&d.sighup, on_reload_signal, SIGHUP);
  uv_signal_init(loop, &d.sigterm);
  uv_signal_init(loop, &d.sigint);
  d.sigterm.data = d.sigint.data = &d;
  uv_signal_start(&d.sigterm, on_stop_signal, SIGTERM);
  uv_signal_start(&d.sigint, on_stop_signal, SIGINT);
  signal(SIGPIPE, SIG_IGN);

  PGW_LOG(log, Info, "pushgwd %s listening on %s with %d sender threads, %zu apps", PUSHGW_VERSION,
          socket_path.c_str(), workers, cfg->apns.size() + cfg->fcm.size() + cfg->webpush.size());
  sd_notify(0, "READY=1");
  uv_run(loop, UV_RUN_DEFAULT);
  spool.reset();          // writes and syncs the last done markers
  store.value().reset();  // commits what is queued before exit
  uv_loop_close(loop);
  PGW_LOG(log, Info, "drained; exiting");
  return 0;
}
