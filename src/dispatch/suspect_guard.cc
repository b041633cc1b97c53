#include "dispatch/suspect_guard.h"

#include <algorithm>

namespace pushgw::dispatch {
namespace {

const char* likely_cause(Platform p, std::string_view reason) {
  if (reason == "DeviceTokenNotForTopic") return "the app's topic (bundle id) is not the one its tokens were issued for";
  if (reason == "BadDeviceToken")
    return "the app's environment (sandbox/production endpoint) does not match its tokens, or the topic is wrong";
  if (reason == "SENDER_ID_MISMATCH") return "the service account belongs to another Firebase project than the tokens";
  if (p == Platform::Fcm) return "the tokens belong to another Firebase project, or the project id is wrong";
  if (p == Platform::WebPush) return "the VAPID key is not the one the subscriptions were created with";
  return "the app's credentials or topic do not match its tokens";
}

}  // namespace

SuspectGuard::SuspectGuard(const DeliveryConfig& d, obs::Logger log)
    : cfg_(d), log_(std::move(log)), flags_(new std::atomic<bool>[kMaxApps]) {
  for (size_t i = 0; i < kMaxApps; ++i) flags_[i].store(false, std::memory_order_relaxed);
}

bool SuspectGuard::is_mismatch(Platform p, const Verdict& v) {
  if (v.kind == VerdictKind::Invalid) return true;
  return p == Platform::WebPush && v.kind == VerdictKind::Failed && v.reason == "vapid_rejected";
}

void SuspectGuard::update_apps(std::shared_ptr<const AppTable> apps) {
  std::lock_guard<std::mutex> g(mu_);
  table_ = std::move(apps);
}

void SuspectGuard::report(std::vector<Tally>& tallies, int64_t now_ms) {
  const int64_t second = now_ms / 1000;
  const size_t width = static_cast<size_t>(cfg_.suspect_window_seconds);
  std::lock_guard<std::mutex> g(mu_);
  const size_t n = std::min(tallies.size(), kMaxApps);
  if (apps_.size() < n) apps_.resize(n);
  for (size_t id = 0; id < n; ++id) {
    Tally& t = tallies[id];
    if (t.finished == 0 && t.mismatch == 0) continue;
    App& a = apps_[id];
    if (a.buckets.empty()) a.buckets.resize(width);
    Bucket& b = a.buckets[static_cast<size_t>(second) % width];
    if (b.second != second) b = Bucket{second, 0, 0};
    b.finished += t.finished;
    b.mismatch += t.mismatch;
    if (t.mismatch > 0) a.reason = t.reason;
    t.finished = t.mismatch = 0;
  }
  for (size_t id = 0; id < apps_.size(); ++id)
    if (!apps_[id].buckets.empty()) evaluate(static_cast<uint16_t>(id), apps_[id], now_ms);
}

void SuspectGuard::evaluate(uint16_t id, App& a, int64_t now_ms) {
  const int64_t oldest = now_ms / 1000 - cfg_.suspect_window_seconds;
  uint64_t finished = 0, mismatch = 0;
  for (const Bucket& b : a.buckets)
    if (b.second > oldest) {
      finished += b.finished;
      mismatch += b.mismatch;
    }
  const bool over_ratio = mismatch > 0 && static_cast<double>(mismatch) >= cfg_.suspect_ratio * static_cast<double>(finished);
  if (!a.suspect) {
    if (over_ratio && mismatch >= static_cast<uint64_t>(cfg_.suspect_min_verdicts)) trip(id, a, mismatch, finished, now_ms);
    return;
  }
  if (over_ratio) {
    a.below_since_ms = -1;
    return;
  }
  if (a.below_since_ms < 0) a.below_since_ms = now_ms;
  if (now_ms - a.below_since_ms < int64_t{cfg_.suspect_window_seconds} * 1000) return;
  a.suspect = false;
  a.below_since_ms = -1;
  flags_[id].store(false, std::memory_order_release);
  const std::string name = table_ && id < table_->size() ? (*table_)[id].name : "#" + std::to_string(id);
  PGW_LOG(log_, Warn, "app %s is no longer suspect: its %s answers stayed under %.0f%% of its sends for %d s; they "
          "are applied again", name.c_str(), a.reason.c_str(), cfg_.suspect_ratio * 100, cfg_.suspect_window_seconds);
}

void SuspectGuard::trip(uint16_t id, App& a, uint64_t mismatch, uint64_t finished, int64_t now_ms) {
  a.suspect = true;
  a.since_ms = now_ms;
  a.below_since_ms = -1;
  flags_[id].store(true, std::memory_order_release);
  Platform p = Platform::Apns;
  std::string name = "#" + std::to_string(id);
  if (table_ && id < table_->size()) {
    p = (*table_)[id].platform;
    name = (*table_)[id].name;
  }
  PGW_LOG(log_, Error,
          "%s app %s is suspect: %llu of its %llu answers in the last %d s were %s. Likely a configuration mistake, "
          "not dead tokens: %s. These verdicts are NOT applied (no suppression, no feedback event; result failed, "
          "reason suspect_config) until the share stays under %.0f%% for %d s or the app's section is fixed and "
          "reloaded",
          std::string(to_string(p)).c_str(), name.c_str(), static_cast<unsigned long long>(mismatch),
          static_cast<unsigned long long>(finished), cfg_.suspect_window_seconds, a.reason.c_str(),
          likely_cause(p, a.reason), cfg_.suspect_ratio * 100, cfg_.suspect_window_seconds);
}

bool SuspectGuard::current(uint16_t id) const {
  if (!table_ || id >= table_->size()) return false;
  const AppRuntime& me = (*table_)[id];
  for (size_t later = id + 1; later < table_->size(); ++later)
    if ((*table_)[later].platform == me.platform && (*table_)[later].name == me.name) return false;
  return true;
}

std::vector<SuspectGuard::View> SuspectGuard::suspects() const {
  std::vector<View> out;
  std::lock_guard<std::mutex> g(mu_);
  for (size_t id = 0; id < apps_.size(); ++id) {
    const App& a = apps_[id];
    if (!a.suspect || !current(static_cast<uint16_t>(id))) continue;
    out.push_back(View{(*table_)[id].platform, (*table_)[id].name, a.reason, a.since_ms});
  }
  return out;
}

void SuspectGuard::each_app(const std::function<void(Platform, const std::string&, bool)>& fn) const {
  std::lock_guard<std::mutex> g(mu_);
  if (!table_) return;
  for (size_t id = 0; id < table_->size(); ++id) {
    if (!current(static_cast<uint16_t>(id))) continue;
    fn((*table_)[id].platform, (*table_)[id].name, id < apps_.size() && apps_[id].suspect);
  }
}

}  // namespace pushgw::dispatch
