#include "core.h"

namespace pushgw::sim {

void SimCore::set_origin(std::string o) {
  origin = std::move(o);
  fcm.set_origin(origin);
  webpush.set_origin(origin);
}

void SimCore::reset() {
  stats.reset();
  records.clear();
  apns.reset();
  fcm.reset();
  webpush.reset();
}

Disposition route(SimCore& core, HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  std::string_view path = req.path;
  if (path.starts_with("/3/device/")) {
    if (!core.sink) return core.apns.handle(ctx, req, resp);
    core.apns.handle_sink(ctx, req, resp);
  } else if (path.starts_with("/v1/projects/")) {
    if (!core.sink) return core.fcm.handle_send(ctx, req, resp);
    core.fcm.handle_sink_send(ctx, req, resp);
  } else if (path == "/token") {
    if (!core.sink) return core.fcm.handle_token(ctx, req, resp);
    core.fcm.handle_sink_token(ctx, req, resp);
  } else if (path.starts_with("/wp/")) {
    if (!core.sink) return core.webpush.handle(ctx, req, resp);
    core.webpush.handle_sink(ctx, req, resp);
  } else {
    resp.status = 404;
    resp.headers.add("content-type", "application/json");
    resp.body = "{\"reason\":\"BadPath\"}";
  }
  return Disposition::kNow;
}

}  // namespace pushgw::sim
