// Campaign policy ops: "event" (engagement events: opens, clicks,
// conversions) and "campaign" (a campaign's counters and rates). Both run on
// the store thread; answers come back through post_to_loop().
#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "daemon/gateway.h"
#include "ingest/json_out.h"
#include "ingest/timefmt.h"
#include "store/store.h"

namespace pushgw::daemon {

namespace {

constexpr size_t kMaxEvents = 10000;

void json_rate(std::string& out, uint64_t num, uint64_t den) {
  const double v = den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

// One event object; on failure returns the problem.
const char* read_event(simdjson::dom::object o, int64_t now_ms, store::EngagementEvent& e) {
  std::string_view campaign, platform, app, token, kind;
  if (o["campaign"].get_string().get(campaign) || campaign.empty()) return "needs a non-empty \"campaign\" string";
  if (o["platform"].get_string().get(platform)) return "needs a \"platform\" string";
  auto p = parse_platform(platform);
  if (!p) return "platform must be apns, fcm or webpush";
  if (o["app"].get_string().get(app)) return "needs an \"app\" string";
  if (o[*p == Platform::WebPush ? "endpoint" : "token"].get_string().get(token) &&
      o["token"].get_string().get(token))
    return *p == Platform::WebPush ? "needs an \"endpoint\" string" : "needs a \"token\" string";
  if (o["kind"].get_string().get(kind)) return "needs a \"kind\" string";
  if (kind == "open") e.kind = store::Engagement::Open;
  else if (kind == "click") e.kind = store::Engagement::Click;
  else if (kind == "conversion") e.kind = store::Engagement::Conversion;
  else return "kind must be open, click or conversion";
  e.at_ms = now_ms;
  simdjson::dom::element at;
  if (o["at"].get(at) == simdjson::SUCCESS) {
    std::string_view s;
    double secs = 0;
    if (at.get_string().get(s) == simdjson::SUCCESS) {
      auto ms = ingest::parse_rfc3339_ms(s);
      if (!ms) return "at must be an RFC 3339 time or unix seconds";
      e.at_ms = *ms;
    } else if (at.is_number() && at.get_double().get(secs) == simdjson::SUCCESS && secs >= 0 && secs <= 1e11) {
      e.at_ms = static_cast<int64_t>(std::llround(secs * 1000.0));
    } else {
      return "at must be an RFC 3339 time or unix seconds";
    }
  }
  e.campaign.assign(campaign);
  e.platform = *p;
  e.app.assign(app);
  e.token.assign(token);
  return nullptr;
}

}  // namespace

void Gateway::handle_campaign_op(uint64_t conn_id, std::string_view op, const std::string& id_json) {
  if (!d_.store) {
    server_->respond(conn_id, ingest::error_response(id_json, "unavailable", "no store configured"));
    return;
  }
  simdjson::dom::element root = parser_.root();
  auto reply = [this, conn_id](std::string out) {
    post_to_loop([this, conn_id, out = std::move(out)]() mutable { server_->respond(conn_id, std::move(out)); });
  };
  if (op == "campaign") {
    std::string_view name;
    if (root["campaign"].get_string().get(name) || name.empty()) {
      server_->respond(conn_id, ingest::error_response(id_json, "bad_request", "campaign needs a non-empty \"campaign\" string"));
      return;
    }
    d_.store->campaign(std::string(name), [id_json, name = std::string(name), reply](Result<store::CampaignReport> r) {
      if (!r.ok()) {
        reply(ingest::error_response(id_json, r.error().code, r.error().message));
        return;
      }
      const store::CampaignReport& c = r.value();
      std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"campaign\":";
      ingest::json_str(out, name);
      out += c.found ? ",\"found\":true" : ",\"found\":false";
      const std::pair<const char*, uint64_t> counts[] = {
          {"sent", c.sent},           {"delivered", c.delivered},   {"failed", c.failed},
          {"invalid", c.invalid},     {"unsubscribed", c.unsubscribed}, {"suppressed", c.suppressed},
          {"capped", c.capped},       {"expired", c.expired},       {"opened", c.opened},
          {"clicked", c.clicked},     {"converted", c.converted}};
      for (const auto& [k, v] : counts) {
        out += ",\"";
        out += k;
        out += "\":";
        ingest::json_num(out, static_cast<int64_t>(v));
      }
      out += ",\"delivery_rate\":";
      json_rate(out, c.delivered, c.sent);
      out += ",\"open_rate\":";
      json_rate(out, c.opened, c.delivered);
      out += ",\"ctr\":";
      json_rate(out, c.clicked, c.delivered);
      out += ",\"conversion_rate\":";
      json_rate(out, c.converted, c.delivered);
      out += ",\"unsubscribe_rate\":";
      json_rate(out, c.unsubscribed, c.sent);
      out.push_back('}');
      reply(std::move(out));
    });
    return;
  }
  // op "event": one event in the request itself, or an "events" array.
  const int64_t now_ms = d_.clock->now_ms();
  std::vector<store::EngagementEvent> events;
  simdjson::dom::array list;
  simdjson::dom::object obj;
  if (root["events"].get(list) == simdjson::SUCCESS) {
    if (list.size() > kMaxEvents) {
      server_->respond(conn_id, ingest::error_response(id_json, "bad_request", "at most 10000 events per request"));
      return;
    }
    size_t i = 0;
    for (simdjson::dom::element el : list) {
      store::EngagementEvent e;
      const char* err = el.get(obj) != simdjson::SUCCESS ? "must be an object" : read_event(obj, now_ms, e);
      if (err) {
        server_->respond(conn_id, ingest::error_response(id_json, "bad_request",
                                                 "events[" + std::to_string(i) + "]: " + err));
        return;
      }
      events.push_back(std::move(e));
      ++i;
    }
  } else if (root.get(obj) == simdjson::SUCCESS) {
    store::EngagementEvent e;
    if (const char* err = read_event(obj, now_ms, e)) {
      server_->respond(conn_id, ingest::error_response(id_json, "bad_request", std::string("event ") + err));
      return;
    }
    events.push_back(std::move(e));
  }
  d_.store->engagement(std::move(events), [id_json, reply](Result<size_t> r) {
    if (!r.ok()) {
      reply(ingest::error_response(id_json, r.error().code, r.error().message));
      return;
    }
    std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"recorded\":";
    ingest::json_num(out, static_cast<int64_t>(r.value()));
    out.push_back('}');
    reply(std::move(out));
  });
}

}  // namespace pushgw::daemon
