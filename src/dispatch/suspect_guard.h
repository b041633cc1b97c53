// The suspect-app guard: one wrong `topic`, environment, sender id or VAPID
// key makes the provider answer "not a token of this app" for EVERY token.
// Applied, those answers would mark a whole token base invalid, send upstream
// a feedback event per token and suppress them all. The guard tells a config
// mistake (a burst: most of an app's answers at once) from a few dead tokens
// in ordinary traffic.
//
// Per app, a sliding window of suspect_window_seconds (one bucket per second)
// counts the app's finished sends (final provider answers) and, among them,
// the "mismatch" answers: those whose reason can mean an app-level mismatch
// (is_mismatch()). The app becomes suspect when the window holds at least
// suspect_min_verdicts mismatches and they are at least suspect_ratio of its
// finished sends. It clears once that share stays below the ratio for a whole
// window. A reload that changes the app gives it a new app id, and so a
// fresh state (the old id keeps its own for the jobs sent with the old
// config, and is no longer reported).
//
// Senders hold every mismatch answer suspect_hold_ms before applying it
// (VerdictHold), so a burst's first answers do not slip through before the
// threshold is reached; while the app is suspect they are not applied at all.
//
// Bound of the slow trickle: fewer than suspect_min_verdicts mismatches per
// suspect_window_seconds (by default 50 a minute, one every 1.2 s) never trip
// the guard, and are applied as before; at most that many tokens a window can
// be lost to a config mistake slower than that.
//
// Threads: senders call report() (one lock per sender per housekeeping tick
// or hold release, never per notification) and suspect() (an atomic load);
// the ingest thread calls update_apps(); any thread suspects()/each_app().
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/app_table.h"
#include "dispatch/config.h"
#include "obs/log.h"
#include "pushgw/platform.h"
#include "pushgw/verdict.h"

namespace pushgw::dispatch {

class SuspectGuard {
 public:
  // Capacity for app ids (a reload appends ids): ids past it are never suspect.
  static constexpr size_t kMaxApps = 4096;

  SuspectGuard(const DeliveryConfig& d, obs::Logger log);
  SuspectGuard(const SuspectGuard&) = delete;
  SuspectGuard& operator=(const SuspectGuard&) = delete;

  // Can this final answer mean the app, not the token, is misconfigured?
  // APNs BadDeviceToken / DeviceTokenNotForTopic, FCM SENDER_ID_MISMATCH and
  // INVALID_ARGUMENT on the token (every Invalid verdict), Web Push
  // vapid_rejected (401/403: a VAPID key other than the subscriptions').
  static bool is_mismatch(Platform p, const Verdict& v);

  // A sender's counts since its last report, for one app.
  struct Tally {
    uint32_t finished = 0;   // final provider answers (mismatches included)
    uint32_t mismatch = 0;
    std::string reason;      // the last mismatch reason
  };
  // tallies[app_id]; reset by the call. Also re-evaluates every app (clears).
  void report(std::vector<Tally>& tallies, int64_t now_ms);

  bool suspect(uint16_t app_id) const {
    return app_id < kMaxApps && flags_[app_id].load(std::memory_order_acquire);
  }
  int hold_ms() const { return cfg_.suspect_hold_ms; }

  // The app table (names, and which id is current for a (platform, app)).
  void update_apps(std::shared_ptr<const AppTable> apps);

  struct View {
    Platform platform = Platform::Apns;
    std::string app, reason;
    int64_t since_ms = 0;
  };
  // Suspect apps, current ids only.
  std::vector<View> suspects() const;
  // Every current app once, with 1 when suspect (the metric).
  void each_app(const std::function<void(Platform, const std::string&, bool)>& fn) const;

 private:
  struct Bucket {
    int64_t second = -1;
    uint64_t finished = 0, mismatch = 0;
  };
  struct App {
    std::vector<Bucket> buckets;  // window_seconds, by second % size
    bool suspect = false;
    int64_t since_ms = 0;
    int64_t below_since_ms = -1;  // suspect and under the ratio since (-1: not)
    std::string reason;
  };

  void evaluate(uint16_t id, App& a, int64_t now_ms);
  void trip(uint16_t id, App& a, uint64_t mismatch, uint64_t finished, int64_t now_ms);
  bool current(uint16_t id) const;  // under mu_

  const DeliveryConfig cfg_;
  obs::Logger log_;
  std::unique_ptr<std::atomic<bool>[]> flags_;
  mutable std::mutex mu_;
  std::vector<App> apps_;  // by app id, grown on demand
  std::shared_ptr<const AppTable> table_;
};

}  // namespace pushgw::dispatch
