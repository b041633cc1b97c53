// The stats fields operators read beyond the contract's: "max_queued",
// "apps" (per-app counters and latency, read from the metric families so
// stats and /metrics never disagree) and "breakers"; and what they are read
// from (Observed), which the daemon implements over its parts.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dispatch/pool_directory.h"
#include "dispatch/suspect_guard.h"
#include "pushgw/platform.h"

namespace pushgw::metrics {
struct GatewayFamilies;
}

namespace pushgw::daemon {

struct OriginBreaker {
  Platform platform;
  std::string app;
  dispatch::BreakerView view;
};

// The running daemon as the operator's views (stats, /metrics) read it.
// Main loop thread.
class Observed {
 public:
  virtual ~Observed() = default;
  // Accepted recipients not yet final (backlog, rings, senders).
  virtual uint64_t queue_depth() const = 0;
  // [server] max_queued as started (a reload does not resize the rings).
  virtual uint64_t max_queued() const = 0;
  virtual uint64_t connections() const = 0;
  virtual uint64_t streams_in_flight() const = 0;
  // Each configured (platform, app) once, sorted; apps a reload removed stay.
  virtual std::vector<std::pair<Platform, std::string>> app_names() const = 0;
  // Every sender's breakers that ever opened, named by platform and app.
  virtual std::vector<OriginBreaker> breakers() const = 0;
  // The suspect-app guard (stats "suspect", pushgw_app_suspect); may be null.
  virtual const dispatch::SuspectGuard* suspect_guard() const = 0;
};

// Appends ,"max_queued":N,"apps":[...],"breakers":[...] to a stats answer
// being built. families may be null (no per-app counters then). Main loop.
void append_operator_stats(std::string& out, const Observed& observed, const metrics::GatewayFamilies* families);

}  // namespace pushgw::daemon
