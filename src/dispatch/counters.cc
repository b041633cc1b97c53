#include "dispatch/counters.h"

namespace pushgw::dispatch {

SenderCounters::SenderCounters(metrics::Registry* registry, metrics::GatewayFamilies* families, const AppTable& apps)
    : fam_(families) {
  if (registry && families) shard_ = std::make_unique<metrics::Shard>(*registry);
  grow(apps);
}

void SenderCounters::grow(const AppTable& apps) {
  if (!shard_) return;
  for (size_t i = apps_.size(); i < apps.size(); ++i) {
    const AppRuntime& a = apps[i];
    const std::string_view p = to_string(a.platform);
    PerApp pa;
    pa.delivered = shard_->counter(fam_->notifications, {p, a.name, "delivered", ""});
    pa.provider = shard_->histogram(fam_->provider_latency, {p, a.name});
    pa.gateway = shard_->histogram(fam_->gateway_latency, {p, a.name});
    apps_.push_back(pa);
  }
}

void SenderCounters::outcome(const AppRuntime& app, Status st, std::string_view reason) {
  SenderStats::add(stats_.platform[static_cast<int>(app.platform)].of(st));
  if (stats_.queued.load(std::memory_order_relaxed) > 0) SenderStats::add(stats_.queued, static_cast<uint64_t>(-1));
  if (!shard_) return;
  if (st == Status::Delivered && app.app_id < apps_.size()) {
    apps_[app.app_id].delivered->inc();
    return;
  }
  const std::string_view p = to_string(app.platform);
  shard_->counter(fam_->notifications, {p, app.name, to_string(st), st == Status::Delivered ? "" : reason})->inc();
  if (st == Status::Suppressed) shard_->counter(fam_->suppressions, {p, app.name, "known_dead"})->inc();
}

void SenderCounters::retried(const AppRuntime& app, std::string_view reason) {
  SenderStats::add(stats_.platform[static_cast<int>(app.platform)].retried);
  if (shard_) shard_->counter(fam_->retries, {to_string(app.platform), app.name, reason})->inc();
}

void SenderCounters::response(const AppRuntime& app, int64_t provider_ns, int64_t e2e_ns) {
  stats_.provider_latency.record_ns(provider_ns);
  const bool cells = shard_ && app.app_id < apps_.size();
  if (cells) apps_[app.app_id].provider->observe(static_cast<double>(provider_ns) * 1e-9);
  if (e2e_ns < 0) return;
  stats_.e2e_latency.record_ns(e2e_ns);
  stats_.gateway_latency.record_ns(e2e_ns - provider_ns);
  if (cells) apps_[app.app_id].gateway->observe(static_cast<double>(e2e_ns - provider_ns) * 1e-9);
}

void SenderCounters::reconnected(const AppRuntime& app, uint64_t n) {
  if (shard_ && n > 0) shard_->counter(fam_->reconnects, {to_string(app.platform), app.name})->inc(n);
}

void SenderCounters::pools(uint64_t connections, uint64_t streams_in_flight) {
  SenderStats::set(stats_.connections, connections);
  SenderStats::set(stats_.streams_in_flight, streams_in_flight);
}

}  // namespace pushgw::dispatch
