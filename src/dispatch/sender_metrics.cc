#include "dispatch/sender_metrics.h"

namespace pushgw::dispatch {

SenderMetrics::SenderMetrics(metrics::Registry* registry, metrics::GatewayFamilies* families, const AppTable& apps)
    : fam_(families) {
  if (registry && families) shard_ = std::make_unique<metrics::Shard>(*registry);
  grow(apps);
}

void SenderMetrics::grow(const AppTable& apps) {
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

void SenderMetrics::outcome(const AppRuntime& app, Status st, std::string_view reason) {
  if (!shard_) return;
  if (st == Status::Delivered && app.app_id < apps_.size()) {
    apps_[app.app_id].delivered->inc();
    return;
  }
  const std::string_view p = to_string(app.platform);
  shard_->counter(fam_->notifications, {p, app.name, to_string(st), st == Status::Delivered ? "" : reason})->inc();
  if (st == Status::Suppressed) shard_->counter(fam_->suppressions, {p, app.name, "known_dead"})->inc();
}

void SenderMetrics::retry(const AppRuntime& app, std::string_view reason) {
  if (!shard_) return;
  shard_->counter(fam_->retries, {to_string(app.platform), app.name, reason})->inc();
}

void SenderMetrics::provider_latency(const AppRuntime& app, double seconds) {
  if (shard_ && app.app_id < apps_.size()) apps_[app.app_id].provider->observe(seconds);
}

void SenderMetrics::gateway_latency(const AppRuntime& app, double seconds) {
  if (shard_ && app.app_id < apps_.size()) apps_[app.app_id].gateway->observe(seconds);
}

}  // namespace pushgw::dispatch
