// Ops on scheduled sends: "cancel" (every pending send of a schedule key),
// "scheduled" (list them, one entry per recipient) and, with test hooks,
// "test_clock" (shift the scheduling clock). Store work runs on the store
// thread; answers come back through post_to_loop().
#include <simdjson.h>

#include "daemon/gateway.h"
#include "ingest/json_out.h"
#include "store/store.h"

namespace pushgw::daemon {
namespace {

constexpr uint64_t kDefaultListed = 1000;
constexpr uint64_t kMaxListed = 10000;

// The entries of one stored row: one per recipient its line names.
void append_row(std::string& out, const store::ScheduledSend& row, simdjson::dom::parser& parser, uint64_t& room,
                bool& first, bool& truncated) {
  simdjson::dom::element root;
  if (parser.parse(row.line).get(root) != simdjson::SUCCESS) return;
  const std::string id = ingest::schedule_id_text(row.id);
  const std::string send_at = ingest::rfc3339(row.due_ms);
  ingest::for_each_target(root, [&](uint32_t, Platform p, std::string_view app, std::string_view target,
                                    bool is_endpoint) {
    if (room == 0) {
      truncated = true;
      return;
    }
    --room;
    if (!first) out.push_back(',');
    first = false;
    out += "{\"id\":";
    ingest::json_str(out, id);
    out += ",\"send_at\":";
    ingest::json_str(out, send_at);
    out += row.quiet_hours ? ",\"reason\":\"quiet_hours\"" : ",\"reason\":\"send_at\"";
    out += ",\"platform\":";
    ingest::json_str(out, to_string(p));
    out += ",\"app\":";
    ingest::json_str(out, app);
    out += is_endpoint ? ",\"endpoint\":" : ",\"token\":";
    ingest::json_str(out, target);
    if (!row.campaign.empty()) {
      out += ",\"campaign\":";
      ingest::json_str(out, row.campaign);
    }
    if (row.expires_at_ms > 0) {
      out += ",\"expires_at\":";
      ingest::json_str(out, ingest::rfc3339(row.expires_at_ms));
    }
    out.push_back('}');
  });
}

}  // namespace

void Gateway::handle_schedule_op(uint64_t conn_id, std::string_view op, const std::string& id_json) {
  simdjson::dom::element root = parser_.root();
  auto respond_later = [this, conn_id](std::string out) {
    post_to_loop([this, conn_id, out = std::move(out)]() mutable { server_->respond(conn_id, std::move(out)); });
  };
  if (op == "test_clock") {  // only dispatched with test hooks
    int64_t v = 0;
    if (root["advance_ms"].get_int64().get(v) == simdjson::SUCCESS) {
      d_.test_clock->set_offset_ms(d_.test_clock->offset_ms() + v);
    } else if (root["set_ms"].get_int64().get(v) == simdjson::SUCCESS) {
      d_.test_clock->set_offset_ms(v - (d_.test_clock->now_ms() - d_.test_clock->offset_ms()));
    } else {
      server_->respond(conn_id, ingest::error_response(id_json, "bad_request", "test_clock needs advance_ms or set_ms"));
      return;
    }
    // Rows that are due at the new time are claimed now.
    next_due_ms_ = schedule_now();
    arm_schedule_timer();
    std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"now_ms\":";
    ingest::json_num(out, schedule_now());
    out.push_back('}');
    server_->respond(conn_id, std::move(out));
    return;
  }
  if (d_.store == nullptr) {
    server_->respond(conn_id, ingest::error_response(id_json, "unavailable", "no store configured"));
    return;
  }
  std::string_view key;
  if (root["schedule_key"].get_string().get(key) != simdjson::SUCCESS || key.empty()) {
    server_->respond(conn_id, ingest::error_response(id_json, "bad_request",
                                             std::string(op) + " needs a non-empty \"schedule_key\" string"));
    return;
  }
  if (op == "cancel") {
    d_.store->cancel_scheduled(std::string(key), schedule_now(), [id_json, respond_later](Result<uint64_t> r) {
      if (!r.ok()) {
        respond_later(ingest::error_response(id_json, r.error().code, r.error().message));
        return;
      }
      std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"cancelled\":";
      ingest::json_num(out, static_cast<int64_t>(r.value()));
      out.push_back('}');
      respond_later(std::move(out));
    });
    return;
  }
  // "scheduled": at most `limit` recipients (default 1000, at most 10000).
  uint64_t limit = kDefaultListed;
  auto l = root["limit"];
  if (l.error() != simdjson::NO_SUCH_FIELD && (l.get_uint64().get(limit) != simdjson::SUCCESS || limit == 0)) {
    server_->respond(conn_id, ingest::error_response(id_json, "bad_request", "'limit' must be a positive integer"));
    return;
  }
  limit = std::min(limit, kMaxListed);
  // A row holds at least one recipient: one more row than `limit` tells
  // whether the list is truncated. The lines are expanded on the loop
  // (parsing requests is ingest's job, not the store's).
  d_.store->list_scheduled(
      std::string(key), schedule_now(), static_cast<uint32_t>(limit + 1),
      [this, conn_id, id_json, key = std::string(key), limit](Result<std::vector<store::ScheduledSend>> r) {
        auto rows = std::make_shared<Result<std::vector<store::ScheduledSend>>>(std::move(r));
        post_to_loop([this, conn_id, id_json, key, limit, rows] {
          if (!rows->ok()) {
            server_->respond(conn_id, ingest::error_response(id_json, rows->error().code, rows->error().message));
            return;
          }
          std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"schedule_key\":";
          ingest::json_str(out, key);
          out += ",\"scheduled\":[";
          simdjson::dom::parser parser;
          uint64_t room = limit;
          bool first = true, truncated = false;
          size_t bytes = 0;
          for (const store::ScheduledSend& row : rows->value()) {
            append_row(out, row, parser, room, first, truncated);
            bytes += row.line.size();
          }
          // The store stops loading rows past kMaxListedLineBytes: more may follow.
          truncated |= bytes >= store::kMaxListedLineBytes;
          out += "],\"truncated\":";
          out += truncated ? "true" : "false";
          out.push_back('}');
          server_->respond(conn_id, std::move(out));
        });
      });
}

}  // namespace pushgw::daemon
