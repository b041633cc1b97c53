// Daemon: what happens while it runs (stats, SIGHUP reload, SIGTERM drain).
#include "daemon/daemon.h"

#include <cstdio>

#include "ingest/json_out.h"

namespace pushgw::daemon {

StatsView Daemon::stats_view() const {
  StatsView v;
  const admission::AdmissionStats a = admission_->stats();
  v.accepted = a.accepted;
  v.queue_depth = a.backlog + fleet_->queued();
  v.fleet = fleet_->stats();
  if (spool_) v.spool = spool_->stats();
  if (store_) v.store = store_->stats();
  v.source = clients_->source();
  v.observed = view_.get();
  v.families = &families_;
  return v;
}

std::string Daemon::health_problem() const {
  const int64_t since = store_->failing_since_ms();
  if (since == 0) return {};
  return "store unavailable since " + ingest::rfc3339(since) + " (commits failing, retried; sends refused)";
}

// SIGHUP: re-read the config; apply it if valid, else keep the old one.
void Daemon::on_reload() {
  if (stopping_) return;
  systemd::notify_reloading(notify_);
  auto loaded = settings::load(opts_.config_path);
  Result<std::vector<FcmCredential>> creds = std::vector<FcmCredential>{};
  if (loaded.ok()) creds = apply(loaded.value());
  else creds = loaded.error();
  if (!creds.ok()) {
    PGW_LOG(log_, Error, "reload rejected, keeping the running config: %s", creds.error().message.c_str());
    systemd::notify_ready(notify_, "");
    return;
  }
  for (const auto& c : creds.value())
    if (auto added = oauth_->add(c); !added.ok()) PGW_LOG(log_, Error, "reload: %s", added.error().message.c_str());
  obs::Level level;
  if (obs::parse_level(config_->log.level, level)) sink_->set_level(level);
  obs::Format format;
  if (obs::parse_format(config_->log.format, format)) sink_->set_format(format);
  PGW_LOG(log_, Info, "reloaded %s", opts_.config_path.c_str());
  systemd::notify_ready(notify_, "");
}

// Unchanged apps keep their ids, providers and open connections; new or
// changed apps get new ids; in-flight sends are untouched. Quiet hours and
// default_tz apply to requests from now on; other [server] settings take
// effect at restart. Returns the FCM credentials of new apps.
Result<std::vector<FcmCredential>> Daemon::apply(std::shared_ptr<const settings::Settings> cfg) {
  for (const auto& w : cfg->warnings) PGW_LOG(log_, Warn, "%s", w.c_str());
  if (auto p = schedule::Policy::check(cfg->policy); !p.ok()) return p.error();
  auto fresh = build_apps(*cfg);
  if (!fresh.ok()) return fresh.error();
  std::vector<std::string> changes;
  auto merged_or = merge_apps(*apps_, std::move(*fresh.value()), changes);
  if (!merged_or.ok()) return merged_or.error();
  std::unique_ptr<Apps> merged = std::move(merged_or.value());
  fleet_->update_apps(merged->table);  // senders first: a job for a new id may be pushed right after this
  // A changed app has a new id, so a fresh suspect state: a reload clears it.
  suspect_->update_apps(merged->table);
  std::vector<FcmCredential> creds = merged->fcm_credentials;
  apps_ = std::move(merged);
  admission_->set_apps(apps_->table, &apps_->directory);
  policy_.apply(cfg->policy);
  config_ = std::move(cfg);
  for (const auto& c : changes) PGW_LOG(ingest_log_, Info, "reload: %s", c.c_str());
  if (changes.empty()) PGW_LOG(ingest_log_, Info, "reload: no app changed");
  return creds;
}

// SIGTERM/SIGINT: stop reading, drain for up to drain_seconds (Drain), then
// close what listens; the loop ends when the last handle is closed.
void Daemon::on_stop(int signum) {
  if (stopping_) return;
  stopping_ = true;
  systemd::notify_stopping(notify_, "");
  PGW_LOG(log_, Info, "signal %d: draining", signum);
  watchdog_->stop();
  if (redis_) redis_->stop_reading();
  drain_->start(int64_t{config_->server.drain_seconds} * 1000, [this] { close_listeners(); });
}

void Daemon::close_listeners() {
  server_->close([this] {
    // Drained: every answer is in, so the last XACKs can go out.
    if (redis_) redis_->close([] {});
    oauth_->close({});
    metrics_->close(nullptr);
    sighup_->close();
    sigterm_->close();
    sigint_->close();
  });
}

}  // namespace pushgw::daemon
