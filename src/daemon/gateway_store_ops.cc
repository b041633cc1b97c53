// Ops answered from the store (feedback, token, forget) plus ping/stats
// dispatch. Store reads run on the store thread; their answers come back to
// the loop through post_to_loop().
#include <simdjson.h>

#include "daemon/gateway.h"
#include "daemon/json_out.h"
#include "store/store.h"

namespace pushgw::daemon {

namespace {

struct TokenArgs {
  Platform platform;
  std::string app, token;
};

// Reads platform/app/token|endpoint; on failure fills err.
bool read_token_args(simdjson::dom::element root, TokenArgs& out, std::string& err) {
  std::string_view p, app, tok;
  if (root["platform"].get_string().get(p)) return err = "missing string field 'platform'", false;
  auto plat = parse_platform(p);
  if (!plat) return err = "unknown platform", false;
  out.platform = *plat;
  if (root["app"].get_string().get(app)) return err = "missing string field 'app'", false;
  const char* key = out.platform == Platform::WebPush ? "endpoint" : "token";
  if (root[key].get_string().get(tok)) return err = std::string("missing string field '") + key + "'", false;
  out.app.assign(app);
  out.token.assign(tok);
  return true;
}

void append_event(std::string& out, const store::Event& e) {
  out += "{\"seq\":";
  json_num(out, static_cast<int64_t>(e.seq));
  out += ",\"at\":";
  json_str(out, rfc3339(e.at_ms));
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

}  // namespace

bool Gateway::test_hooks_for(uint64_t conn_id) const {
#ifdef PUSHGW_TEST_BUILD
  (void)conn_id;
  return d_.test_hooks;
#else
  return d_.test_hooks && server_->peer_uid(conn_id) == 0u;
#endif
}

void Gateway::handle_op(uint64_t conn_id, std::string_view op, const std::string& id_json) {
  if (op == "stats") {
    server_->respond(conn_id, stats_json(id_json));
    return;
  }
  if (op == "ping") {
    server_->respond(conn_id, "{\"id\":" + id_json + ",\"ok\":true}");
    return;
  }
  if (op == "test_stall" && test_hooks_for(conn_id)) {
    int64_t sender = 0, ms = 0;
    simdjson::dom::element r = parser_.root();
    if (r["sender"].get_int64().get(sender) || r["ms"].get_int64().get(ms) || sender < 0 ||
        sender >= static_cast<int64_t>(senders_.size())) {
      server_->respond(conn_id, error_response(id_json, "bad_request", "need sender and ms"));
      return;
    }
    senders_[static_cast<size_t>(sender)]->test_stall(static_cast<int>(ms));
    server_->respond(conn_id, "{\"id\":" + id_json + ",\"ok\":true}");
    return;
  }
  if (op.empty()) {
    server_->respond(conn_id, error_response(id_json, "bad_request", "missing string field 'op'"));
    return;
  }
  if (op == "event" || op == "campaign") {
    handle_campaign_op(conn_id, op, id_json);
    return;
  }
  if (op == "cancel" || op == "scheduled" || (op == "test_clock" && d_.test_clock != nullptr && test_hooks_for(conn_id))) {
    handle_schedule_op(conn_id, op, id_json);
    return;
  }
  if (op != "feedback" && op != "token" && op != "forget") {
    server_->respond(conn_id, error_response(id_json, "unknown_op", "unknown op '" + std::string(op) + "'"));
    return;
  }
  if (!d_.store) {
    server_->respond(conn_id, error_response(id_json, "unavailable", "no store configured"));
    return;
  }
  simdjson::dom::element root = parser_.root();
  if (op == "feedback") {
    uint64_t since = 0, limit = 1000;
    auto s = root["since"];
    if (s.error() != simdjson::NO_SUCH_FIELD && s.get_uint64().get(since)) {
      server_->respond(conn_id, error_response(id_json, "bad_request", "'since' must be a non-negative integer"));
      return;
    }
    auto l = root["limit"];
    if (l.error() != simdjson::NO_SUCH_FIELD && l.get_uint64().get(limit)) {
      server_->respond(conn_id, error_response(id_json, "bad_request", "'limit' must be a non-negative integer"));
      return;
    }
    limit = std::min<uint64_t>(limit, 10000);
    d_.store->feedback(since, static_cast<uint32_t>(limit), [this, conn_id, id_json](Result<store::FeedbackPage> r) {
      std::string out;
      if (!r.ok()) {
        out = error_response(id_json, r.error().code, r.error().message);
      } else {
        out = "{\"id\":" + id_json + ",\"ok\":true,\"next\":";
        json_num(out, static_cast<int64_t>(r.value().next));
        out += ",\"events\":[";
        bool first = true;
        for (const auto& e : r.value().events) {
          if (!first) out.push_back(',');
          first = false;
          append_event(out, e);
        }
        out += "]}";
      }
      post_to_loop([this, conn_id, out = std::move(out)]() mutable { server_->respond(conn_id, std::move(out)); });
    });
    return;
  }
  TokenArgs a;
  std::string err;
  if (!read_token_args(root, a, err)) {
    server_->respond(conn_id, error_response(id_json, "bad_request", err));
    return;
  }
  if (op == "token") {
    d_.store->token(a.platform, a.app, a.token, [this, conn_id, id_json](Result<store::TokenState> r) {
      std::string out;
      if (!r.ok()) {
        out = error_response(id_json, r.error().code, r.error().message);
      } else {
        const store::TokenState& t = r.value();
        out = "{\"id\":" + id_json + ",\"ok\":true,\"state\":";
        json_str(out, t.state.empty() ? "unknown" : t.state);
        out += ",\"reason\":";
        json_str(out, t.reason);
        out += ",\"since\":";
        json_str(out, t.since_ms ? rfc3339(t.since_ms) : "");
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
      }
      post_to_loop([this, conn_id, out = std::move(out)]() mutable { server_->respond(conn_id, std::move(out)); });
    });
    return;
  }
  d_.store->forget(a.platform, a.app, a.token, [this, conn_id, id_json](Result<bool> r) {
    std::string out = r.ok() ? "{\"id\":" + id_json + ",\"ok\":true,\"forgotten\":" + (r.value() ? "true" : "false") + "}"
                             : error_response(id_json, r.error().code, r.error().message);
    post_to_loop([this, conn_id, out = std::move(out)]() mutable { server_->respond(conn_id, std::move(out)); });
  });
}

void Gateway::read_feedback(uint64_t since, uint32_t limit, std::function<void(Result<ingest::FeedbackPage>)> cb) {
  if (!d_.store) {
    cb(make_error("unavailable", "no store configured"));
    return;
  }
  d_.store->feedback(since, limit, [this, cb = std::move(cb)](Result<store::FeedbackPage> r) mutable {
    Result<ingest::FeedbackPage> page = ingest::FeedbackPage{};
    if (r.ok()) {
      page->next = r.value().next;
      page->events.reserve(r.value().events.size());
      for (const auto& e : r.value().events) append_event(page->events.emplace_back(), e);
    } else {
      page = r.error();
    }
    post_to_loop([cb = std::move(cb), page = std::move(page)]() mutable { cb(std::move(page)); });
  });
}

}  // namespace pushgw::daemon
