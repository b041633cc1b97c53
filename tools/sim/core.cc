#include "core.h"

namespace pushgw::sim {

namespace {

enum class SendPath { kNone, kApns, kFcm, kWebPush };

SendPath send_path(std::string_view path) {
  if (path.starts_with("/3/device/")) return SendPath::kApns;
  if (path.starts_with("/v1/projects/")) return SendPath::kFcm;
  if (path.starts_with("/wp/")) return SendPath::kWebPush;
  return SendPath::kNone;
}

// The "unavailable" fault: what each service answers while it is down. No
// Retry-After (APNs does not send one; a client must back off on its own).
void answer_unavailable(SimCore& core, HandlerCtx& ctx, SendPath kind, const SimRequest& req, SimResponse& resp) {
  bump(core.stats.unavailable_answers);
  resp.status = 503;
  if (kind == SendPath::kApns) {
    std::string_view id = req.headers.get("apns-id");
    if (!is_uuid(id)) {
      uuid_v4(ctx.rng, ctx.scratch);
      id = ctx.scratch;
    }
    resp.headers.add("apns-id", id);
    resp.headers.add("content-type", "application/json");
    resp.body = "{\"reason\":\"ServiceUnavailable\"}";
  } else if (kind == SendPath::kFcm) {
    resp.headers.add("content-type", "application/json; charset=UTF-8");
    resp.body = fcm_error_json(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE");
  }
}

}  // namespace

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
  if (core.faults.unavailable()) {
    if (const SendPath kind = send_path(path); kind != SendPath::kNone) {
      answer_unavailable(core, ctx, kind, req, resp);
      return Disposition::kNow;
    }
  }
  if (path.starts_with("/3/device/")) {
    if (!core.sink) return core.apns.handle(ctx, req, resp);
    core.apns.handle_sink(ctx, req, resp);
  } else if (path.starts_with("/v1/projects/")) {
    if (!core.sink) return core.fcm.handle_send(ctx, req, resp);
    core.fcm.handle_sink_send(ctx, req, resp);
  } else if (path == "/token") {
    if (core.faults.token_unavailable()) {
      bump(core.stats.unavailable_answers);
      resp.status = 503;
      resp.headers.add("content-type", "application/json; charset=UTF-8");
      resp.body = "{\"error\":\"temporarily_unavailable\",\"error_description\":\"The token service is down.\"}";
      return Disposition::kNow;
    }
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
