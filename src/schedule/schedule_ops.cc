#include "schedule/schedule_ops.h"

#include <simdjson.h>

#include <memory>
#include <string>

#include "ingest/json_out.h"

namespace pushgw::schedule {
namespace {

using ingest::json_num;
using ingest::json_str;

constexpr uint64_t kDefaultListed = 1000;
constexpr uint64_t kMaxListed = 10000;

struct Listing {
  std::string out;
  uint64_t room = 0;
  bool first = true;
  bool truncated = false;
};

void append_entry(Listing& l, const store::ScheduledSend& row, const std::string& id, const std::string& send_at,
                  Platform p, std::string_view app, std::string_view target, bool is_endpoint) {
  std::string& out = l.out;
  if (!l.first) out.push_back(',');
  l.first = false;
  out += "{\"id\":";
  json_str(out, id);
  out += ",\"send_at\":";
  json_str(out, send_at);
  out += row.quiet_hours ? ",\"reason\":\"quiet_hours\"" : ",\"reason\":\"send_at\"";
  out += ",\"platform\":";
  json_str(out, to_string(p));
  out += ",\"app\":";
  json_str(out, app);
  out += is_endpoint ? ",\"endpoint\":" : ",\"token\":";
  json_str(out, target);
  if (!row.campaign.empty()) {
    out += ",\"campaign\":";
    json_str(out, row.campaign);
  }
  if (row.expires_at_ms > 0) {
    out += ",\"expires_at\":";
    json_str(out, ingest::rfc3339(row.expires_at_ms));
  }
  out.push_back('}');
}

// The entries of one stored row: one per recipient its line names.
void append_row(Listing& l, const store::ScheduledSend& row, simdjson::dom::parser& parser) {
  simdjson::dom::element root;
  if (parser.parse(row.line).get(root) != simdjson::SUCCESS) return;
  const std::string id = ingest::schedule_id_text(row.id);
  const std::string send_at = ingest::rfc3339(row.due_ms);
  ingest::for_each_target(root, [&](uint32_t, Platform p, std::string_view app, std::string_view target,
                                    bool is_endpoint) {
    if (l.room == 0) {
      l.truncated = true;
      return;
    }
    --l.room;
    append_entry(l, row, id, send_at, p, app, target, is_endpoint);
  });
}

// The "schedule_key" both ops need; answers bad_request when it is missing.
bool read_key(const ingest::OpCall& call, std::string_view op, std::string& key) {
  std::string_view k;
  if (call.root["schedule_key"].get_string().get(k) != simdjson::SUCCESS || k.empty()) {
    call.fail("bad_request", std::string(op) + " needs a non-empty \"schedule_key\" string");
    return false;
  }
  key.assign(k);
  return true;
}

void cancel(const ingest::OpCall& call, Scheduler& s) {
  std::string key;
  if (s.rows() == nullptr) return call.fail("unavailable", "no store configured");
  if (!read_key(call, "cancel", key)) return;
  s.rows()->cancel_scheduled(std::move(key), s.now_ms(),
                             [reply = call.later(), id_json = call.id_json](Result<uint64_t> r) {
    if (!r.ok()) return reply(ingest::error_response(id_json, r.error().code, r.error().message));
    std::string out = "{\"id\":" + id_json + ",\"ok\":true,\"cancelled\":";
    json_num(out, static_cast<int64_t>(r.value()));
    out.push_back('}');
    reply(std::move(out));
  });
}

// At most `limit` recipients (default 1000, at most 10000). A row holds at
// least one recipient: one more row than `limit` tells whether the list is
// truncated. The lines are expanded on the loop (parsing requests is
// ingest's job, not the store's).
void list(const ingest::OpCall& call, Scheduler& s) {
  std::string key;
  if (s.rows() == nullptr) return call.fail("unavailable", "no store configured");
  if (!read_key(call, "scheduled", key)) return;
  uint64_t limit = kDefaultListed;
  auto l = call.root["limit"];
  if (l.error() != simdjson::NO_SUCH_FIELD && (l.get_uint64().get(limit) != simdjson::SUCCESS || limit == 0))
    return call.fail("bad_request", "'limit' must be a positive integer");
  limit = std::min(limit, kMaxListed);
  ingest::OpCall later = call;
  later.root = {};  // the request is gone by the time the rows arrive
  using Rows = Result<std::vector<store::ScheduledSend>>;
  s.rows()->list_scheduled(key, s.now_ms(), static_cast<uint32_t>(limit + 1),
                           s.on_loop<Rows>([later, key, limit](Rows rows) {
    if (!rows.ok()) return later.fail(rows.error().code, rows.error().message);
    Listing listing{later.ok_head() + ",\"schedule_key\":", limit};
    json_str(listing.out, key);
    listing.out += ",\"scheduled\":[";
    simdjson::dom::parser parser;
    size_t bytes = 0;
    for (const store::ScheduledSend& row : rows.value()) {
      append_row(listing, row, parser);
      bytes += row.line.size();
    }
    // The store stops loading rows past kMaxListedLineBytes: more may follow.
    listing.truncated |= bytes >= store::kMaxListedLineBytes;
    listing.out += "],\"truncated\":";
    listing.out += listing.truncated ? "true" : "false";
    listing.out.push_back('}');
    later.answer(std::move(listing.out));
  }));
}

// Test hooks: advance_ms moves the scheduling clock ahead, set_ms sets it;
// rows due at the new time are claimed at once.
void test_clock(const ingest::OpCall& call, Scheduler& s, OffsetClock& clock) {
  int64_t v = 0;
  if (call.root["advance_ms"].get_int64().get(v) == simdjson::SUCCESS) {
    clock.set_offset_ms(clock.offset_ms() + v);
  } else if (call.root["set_ms"].get_int64().get(v) == simdjson::SUCCESS) {
    clock.set_offset_ms(v - (clock.now_ms() - clock.offset_ms()));
  } else {
    return call.fail("bad_request", "test_clock needs advance_ms or set_ms");
  }
  s.poll_now();
  std::string out = call.ok_head() + ",\"now_ms\":";
  json_num(out, s.now_ms());
  out.push_back('}');
  call.answer(std::move(out));
}

}  // namespace

void register_schedule_ops(ingest::OpRegistry& ops, Scheduler& scheduler, OffsetClock* clock) {
  ops.add("cancel", [&scheduler](const ingest::OpCall& c) { cancel(c, scheduler); });
  ops.add("scheduled", [&scheduler](const ingest::OpCall& c) { list(c, scheduler); });
  if (clock != nullptr) ops.add("test_clock", [&scheduler, clock](const ingest::OpCall& c) { test_clock(c, scheduler, *clock); });
}

}  // namespace pushgw::schedule
