#include "daemon/daemon_metrics.h"

#include <ctime>
#include <map>

#include "daemon/gateway_observe.h"
#include "metrics/gateway_metrics.h"
#include "daemon/systemd/watchdog.h"
#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::daemon {
namespace {

// Per configured app, one sample (0 when it has no breaker that matches).
void per_app(metrics::SampleSink& s, const Observed& gw, bool open_only) {
  std::map<std::pair<Platform, std::string>, double> v;
  for (const auto& key : gw.app_names()) v[key] = 0;
  for (const auto& b : gw.breakers()) {
    auto& slot = v[{b.platform, b.app}];
    if (open_only) {
      slot += b.view.state != dispatch::CircuitBreaker::State::Closed ? 1 : 0;
    } else {
      slot += static_cast<double>(b.view.opens);
    }
  }
  for (const auto& [key, n] : v) s.add({to_string(key.first), key.second}, n);
}

}  // namespace

void register_daemon_metrics(metrics::Registry& r, const Observed& daemon, const store::Store& store,
                             const spool::Spool* spool) {
  metrics::GatewayGauges g;
  g.queue_depth = [&daemon] { return static_cast<double>(daemon.queue_depth()); };
  g.max_queued = [&daemon] { return static_cast<double>(daemon.max_queued()); };
  g.connections = [&daemon] { return static_cast<double>(daemon.connections()); };
  g.streams_in_flight = [&daemon] { return static_cast<double>(daemon.streams_in_flight()); };
  g.store_backlog = [&store] { return static_cast<double>(store.stats().backlog); };
  g.store_committed = [&store] { return static_cast<double>(store.stats().committed_outcomes); };
  g.store_write_errors = [&store] { return static_cast<double>(store.stats().write_errors); };
  g.store_available = [&store] { return store.failing_since_ms() == 0 ? 1.0 : 0.0; };
  g.store_send_flushes = [&store] { return static_cast<double>(store.stats().send_flushes); };
  g.store_pending_send_tokens = [&store] { return static_cast<double>(store.stats().pending_send_tokens); };
  g.store_send_log_tokens = [&store] { return static_cast<double>(store.stats().send_log_tokens); };
  g.start_time = [t = static_cast<double>(time(nullptr))] { return t; };
  g.breakers_open = [&daemon](metrics::SampleSink& s) { per_app(s, daemon, true); };
  g.breaker_opens = [&daemon](metrics::SampleSink& s) { per_app(s, daemon, false); };
  if (const dispatch::SuspectGuard* guard = daemon.suspect_guard()) {
    g.app_suspect = [guard](metrics::SampleSink& s) {
      guard->each_app([&s](Platform p, const std::string& app, bool suspect) {
        s.add({to_string(p), app}, suspect ? 1.0 : 0.0);
      });
    };
  }
  metrics::register_gateway_gauges(r, std::move(g));
  if (spool == nullptr) return;
  metrics::SpoolGauges sg;
  sg.live_requests = [spool] { return static_cast<double>(spool->stats().live_requests); };
  sg.segments = [spool] { return static_cast<double>(spool->stats().segments); };
  sg.failed = [spool] { return spool->stats().failed ? 1.0 : 0.0; };
  sg.requests = [spool] { return static_cast<double>(spool->stats().requests); };
  sg.syncs = [spool] { return static_cast<double>(spool->stats().syncs); };
  sg.bytes = [spool] { return static_cast<double>(spool->stats().bytes); };
  metrics::register_spool_gauges(r, std::move(sg));
}

void register_watchdog_metrics(metrics::Registry& r, const systemd::Watchdog& watchdog) {
  metrics::register_watchdog_gauge(r, [&watchdog] { return static_cast<double>(watchdog.stalled().size()); });
}

}  // namespace pushgw::daemon
