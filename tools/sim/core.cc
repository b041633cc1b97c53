#include "core.h"

namespace pushgw::sim {

void SimCore::reset() {
  stats.reset();
  records.clear();
  apns.reset();
}

Disposition route(SimCore& core, HandlerCtx& ctx, const SimRequest& req, SimResponse& resp) {
  std::string_view path = req.path;
  if (path.starts_with("/3/device/")) {
    if (core.sink) {
      core.apns.handle_sink(ctx, req, resp);
      return Disposition::kNow;
    }
    return core.apns.handle(ctx, req, resp);
  }
  resp.status = 404;
  resp.headers.add("content-type", "application/json");
  resp.body = "{\"reason\":\"BadPath\"}";
  return Disposition::kNow;
}

}  // namespace pushgw::sim
