#include "ops/campaign_ops.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "ingest/json_out.h"
#include "ingest/timefmt.h"
#include "store/store.h"

namespace pushgw::ops {
namespace {

using ingest::OpCall;

constexpr size_t kMaxEvents = 10000;

void json_rate(std::string& out, uint64_t num, uint64_t den) {
  const double v = den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

// "at": RFC 3339 or unix seconds; absent: now. On failure returns the problem.
const char* read_at(simdjson::dom::object o, int64_t& at_ms) {
  simdjson::dom::element at;
  if (o["at"].get(at) != simdjson::SUCCESS) return nullptr;
  std::string_view s;
  double secs = 0;
  if (at.get_string().get(s) == simdjson::SUCCESS) {
    auto ms = ingest::parse_rfc3339_ms(s);
    if (!ms) return "at must be an RFC 3339 time or unix seconds";
    at_ms = *ms;
  } else if (at.is_number() && at.get_double().get(secs) == simdjson::SUCCESS && secs >= 0 && secs <= 1e11) {
    at_ms = static_cast<int64_t>(std::llround(secs * 1000.0));
  } else {
    return "at must be an RFC 3339 time or unix seconds";
  }
  return nullptr;
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
  if (const char* err = read_at(o, e.at_ms)) return err;
  e.campaign.assign(campaign);
  e.platform = *p;
  e.app.assign(app);
  e.token.assign(token);
  return nullptr;
}

std::string campaign_answer(const std::string& id_json, const std::string& name, const store::CampaignReport& c) {
  std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"campaign\":";
  ingest::json_str(out, name);
  out += c.found ? ",\"found\":true" : ",\"found\":false";
  const std::pair<const char*, uint64_t> counts[] = {
      {"sent", c.sent},       {"delivered", c.delivered},       {"failed", c.failed},
      {"invalid", c.invalid}, {"unsubscribed", c.unsubscribed}, {"suppressed", c.suppressed},
      {"capped", c.capped},   {"expired", c.expired},           {"opened", c.opened},
      {"clicked", c.clicked}, {"converted", c.converted}};
  for (const auto& [k, v] : counts) {
    out += ",\"";
    out += k;
    out += "\":";
    ingest::json_num(out, static_cast<int64_t>(v));
  }
  const std::pair<const char*, std::pair<uint64_t, uint64_t>> rates[] = {
      {"delivery_rate", {c.delivered, c.sent}},   {"open_rate", {c.opened, c.delivered}},
      {"ctr", {c.clicked, c.delivered}},          {"conversion_rate", {c.converted, c.delivered}},
      {"unsubscribe_rate", {c.unsubscribed, c.sent}}};
  for (const auto& [k, nd] : rates) {
    out += ",\"";
    out += k;
    out += "\":";
    json_rate(out, nd.first, nd.second);
  }
  out.push_back('}');
  return out;
}

void campaign(const OpCall& call, store::Store& store) {
  std::string_view name;
  if (call.root["campaign"].get_string().get(name) || name.empty())
    return call.fail("bad_request", "campaign needs a non-empty \"campaign\" string");
  store.campaigns().campaign(std::string(name), [reply = call.later(), id_json = call.id_json,
                                     name = std::string(name)](Result<store::CampaignReport> r) {
    reply(r.ok() ? campaign_answer(id_json, name, r.value())
                 : ingest::error_response(id_json, r.error().code, r.error().message));
  });
}

// The request's events: an "events" array, or the request itself as one.
// On failure answers bad_request and returns false.
bool read_events(const OpCall& call, int64_t now_ms, std::vector<store::EngagementEvent>& events) {
  simdjson::dom::array list;
  simdjson::dom::object obj;
  if (call.root["events"].get(list) == simdjson::SUCCESS) {
    if (list.size() > kMaxEvents) return call.fail("bad_request", "at most 10000 events per request"), false;
    size_t i = 0;
    for (simdjson::dom::element el : list) {
      store::EngagementEvent e;
      const char* err = el.get(obj) != simdjson::SUCCESS ? "must be an object" : read_event(obj, now_ms, e);
      if (err) return call.fail("bad_request", "events[" + std::to_string(i) + "]: " + err), false;
      events.push_back(std::move(e));
      ++i;
    }
  } else if (call.root.get(obj) == simdjson::SUCCESS) {
    store::EngagementEvent e;
    if (const char* err = read_event(obj, now_ms, e))
      return call.fail("bad_request", std::string("event ") + err), false;
    events.push_back(std::move(e));
  }
  return true;
}

void event(const OpCall& call, store::Store& store, const Clock& clock) {
  std::vector<store::EngagementEvent> events;
  if (!read_events(call, clock.now_ms(), events)) return;
  store.campaigns().engagement(std::move(events), [reply = call.later(), id_json = call.id_json](Result<size_t> r) {
    if (!r.ok()) return reply(ingest::error_response(id_json, r.error().code, r.error().message));
    std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"recorded\":";
    ingest::json_num(out, static_cast<int64_t>(r.value()));
    out.push_back('}');
    reply(std::move(out));
  });
}

}  // namespace

void register_campaign_ops(ingest::OpRegistry& ops, store::Store* store, const Clock& clock) {
  ops.add("event", [store, &clock](const OpCall& call) {
    if (store == nullptr) return call.fail("unavailable", "no store configured");
    event(call, *store, clock);
  });
  ops.add("campaign", [store](const OpCall& call) {
    if (store == nullptr) return call.fail("unavailable", "no store configured");
    campaign(call, *store);
  });
}

}  // namespace pushgw::ops
