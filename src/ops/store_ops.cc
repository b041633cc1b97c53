#include "ops/store_ops.h"

#include <simdjson.h>

#include <algorithm>
#include <string>

#include "ingest/json_out.h"
#include "store/store.h"

namespace pushgw::ops {
namespace {

using ingest::json_num;
using ingest::json_str;
using ingest::OpCall;

struct TokenArgs {
  Platform platform;
  std::string app, token;
};

// Reads platform/app/token|endpoint; on failure answers bad_request.
bool read_token_args(const OpCall& call, TokenArgs& out) {
  std::string_view p, app, tok;
  if (call.root["platform"].get_string().get(p)) return call.fail("bad_request", "missing string field 'platform'"), false;
  auto plat = parse_platform(p);
  if (!plat) return call.fail("bad_request", "unknown platform"), false;
  out.platform = *plat;
  if (call.root["app"].get_string().get(app)) return call.fail("bad_request", "missing string field 'app'"), false;
  const char* key = out.platform == Platform::WebPush ? "endpoint" : "token";
  if (call.root[key].get_string().get(tok))
    return call.fail("bad_request", std::string("missing string field '") + key + "'"), false;
  out.app.assign(app);
  out.token.assign(tok);
  return true;
}

void append_event(std::string& out, const store::Event& e) {
  out += "{\"seq\":";
  json_num(out, static_cast<int64_t>(e.seq));
  out += ",\"at\":";
  json_str(out, ingest::rfc3339(e.at_ms));
  out += ",\"platform\":";
  json_str(out, to_string(e.platform));
  out += ",\"app\":";
  json_str(out, e.app);
  out += e.platform == Platform::WebPush ? ",\"endpoint\":" : ",\"token\":";
  json_str(out, e.token);
  out += ",\"kind\":";
  json_str(out, e.kind);
  out += ",\"reason\":";
  json_str(out, e.reason);
  if (!e.campaign.empty()) {
    out += ",\"campaign\":";
    json_str(out, e.campaign);
  }
  out.push_back('}');
}

std::string feedback_answer(const std::string& id_json, const Result<store::FeedbackPage>& r) {
  if (!r.ok()) return ingest::error_response(id_json, r.error().code, r.error().message);
  std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"next\":";
  json_num(out, static_cast<int64_t>(r.value().next));
  out += ",\"events\":[";
  bool first = true;
  for (const auto& e : r.value().events) {
    if (!first) out.push_back(',');
    first = false;
    append_event(out, e);
  }
  out += "]}";
  return out;
}

// since (default 0) and limit (default 1000, at most 10000).
void feedback(const OpCall& call, store::Store& store) {
  uint64_t since = 0, limit = 1000;
  auto s = call.root["since"];
  if (s.error() != simdjson::NO_SUCH_FIELD && s.get_uint64().get(since))
    return call.fail("bad_request", "'since' must be a non-negative integer");
  auto l = call.root["limit"];
  if (l.error() != simdjson::NO_SUCH_FIELD && l.get_uint64().get(limit))
    return call.fail("bad_request", "'limit' must be a non-negative integer");
  limit = std::min<uint64_t>(limit, 10000);
  store.tokens().feedback(since, static_cast<uint32_t>(limit),
                 [reply = call.later(), id_json = call.id_json](Result<store::FeedbackPage> r) {
                   reply(feedback_answer(id_json, r));
                 });
}

std::string token_answer(const std::string& id_json, const Result<store::TokenState>& r) {
  if (!r.ok()) return ingest::error_response(id_json, r.error().code, r.error().message);
  const store::TokenState& t = r.value();
  std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"state\":";
  json_str(out, t.state.empty() ? "unknown" : t.state);
  out += ",\"reason\":";
  json_str(out, t.reason);
  out += ",\"since\":";
  json_str(out, t.since_ms ? ingest::rfc3339(t.since_ms) : "");
  out += ",\"sent\":";
  json_num(out, static_cast<int64_t>(t.sent));
  out += ",\"delivered\":";
  json_num(out, static_cast<int64_t>(t.delivered));
  out += ",\"failed\":";
  json_num(out, static_cast<int64_t>(t.failed));
  if (!t.last_campaign.empty()) {
    out += ",\"last_campaign\":";
    json_str(out, t.last_campaign);
  }
  out.push_back('}');
  return out;
}

void token(const OpCall& call, store::Store& store) {
  TokenArgs a;
  if (!read_token_args(call, a)) return;
  store.tokens().token(a.platform, a.app, a.token, [reply = call.later(), id_json = call.id_json](Result<store::TokenState> r) {
    reply(token_answer(id_json, r));
  });
}

void forget(const OpCall& call, store::Store& store) {
  TokenArgs a;
  if (!read_token_args(call, a)) return;
  store.tokens().forget(a.platform, a.app, a.token, [reply = call.later(), id_json = call.id_json](Result<bool> r) {
    reply(r.ok() ? "{\"id\":" + id_json + ",\"ok\":true,\"forgotten\":" + (r.value() ? "true" : "false") + "}"
                 : ingest::error_response(id_json, r.error().code, r.error().message));
  });
}

// Without a store every op answers "unavailable".
ingest::OpHandler with_store(store::Store* store, void (*op)(const OpCall&, store::Store&)) {
  return [store, op](const OpCall& call) {
    if (store == nullptr) return call.fail("unavailable", "no store configured");
    op(call, *store);
  };
}

}  // namespace

void register_store_ops(ingest::OpRegistry& ops, store::Store* store) {
  ops.add("feedback", with_store(store, feedback));
  ops.add("token", with_store(store, token));
  ops.add("forget", with_store(store, forget));
}

void read_feedback(store::Store* store, uint64_t since, uint32_t limit,
                   std::function<void(Result<ingest::FeedbackPage>)> cb) {
  if (store == nullptr) return cb(make_error("unavailable", "no store configured"));
  store->tokens().feedback(since, limit, [cb = std::move(cb)](Result<store::FeedbackPage> r) {
    Result<ingest::FeedbackPage> page = ingest::FeedbackPage{};
    if (r.ok()) {
      page->next = r.value().next;
      page->events.reserve(r.value().events.size());
      for (const auto& e : r.value().events) append_event(page->events.emplace_back(), e);
    } else {
      page = r.error();
    }
    cb(std::move(page));
  });
}

}  // namespace pushgw::ops
