// Everything the worker threads share: counters, delivery records, the live
// fault set and the three provider services, plus the request router.
// Built once in `serve` before the loops start; each member is thread-safe
// on its own.
#pragma once
#include <string>

#include "apns.h"
#include "faults.h"
#include "fcm.h"
#include "handler_ctx.h"
#include "http_types.h"
#include "pushgw/clock.h"
#include "stats.h"
#include "webpush.h"

namespace pushgw::sim {

struct SimCore {
  SimCore(const Clock& c, bool sink_mode) : clock(c), sink(sink_mode), records(!sink_mode), faults(c), apns(stats, records, faults), fcm(stats, records), webpush(stats, records) {}

  const Clock& clock;
  const bool sink;
  std::string origin;  // "https://127.0.0.1:PORT"; set with set_origin() once the port is known

  Stats stats;
  DeliveryRecords records;
  FaultBoard faults;
  ApnsService apns;
  FcmService fcm;
  WebPushService webpush;

  void set_origin(std::string o);
  // POST /reset: counters, records, caches and scripted "first time" state.
  void reset();
};

// Dispatches by path: /3/device/ (APNs), /token and /v1/projects/ (FCM),
// /wp/ (Web Push); anything else is 404.
Disposition route(SimCore& core, HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);

}  // namespace pushgw::sim
