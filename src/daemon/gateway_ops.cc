// Non-send ops (stats, ping, feedback, token, forget) and the waited-for
// response writer.
#include <simdjson.h>

#include "daemon/gateway.h"
#include "ingest/json_out.h"
#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::daemon {

namespace {

// spooled: the daemon has a spool, so a "shutdown" failure is not final: the
// recipient stays journaled and is sent after the restart ("spooled":true).
void append_result(std::string& out, const Batch& b, uint32_t i, bool spooled) {
  const ResultSlot& r = b.results[i];
  out += "{\"n\":";
  ingest::json_num(out, b.n);
  out += b.platform == Platform::WebPush ? ",\"endpoint\":" : ",\"token\":";
  ingest::json_str(out, b.token(i));
  out += ",\"status\":";
  ingest::json_str(out, to_string(r.status));
  if (r.http_status) {
    out += ",\"http_status\":";
    ingest::json_num(out, r.http_status);
  }
  if (!r.id.empty()) {
    switch (b.platform) {
      case Platform::Apns: out += ",\"apns_id\":"; break;
      case Platform::Fcm: out += ",\"message_id\":"; break;
      case Platform::WebPush: out += ",\"location\":"; break;
    }
    ingest::json_str(out, r.id);
  }
  if (!r.reason.empty()) {
    out += ",\"reason\":";
    ingest::json_str(out, r.reason);
  }
  if (spooled && r.status == Status::Failed && r.reason == "shutdown") out += ",\"spooled\":true";
  out.push_back('}');
}

// {"n":..,"token":..,"status":"scheduled","send_at":..,"reason":"send_at"|
// "quiet_hours","schedule_id":..}, or status "failed" (reason
// "store_failed") when the store could not keep it.
void append_scheduled(std::string& out, const ingest::Deferred& d, std::string_view target, int64_t id,
                      const std::string& error) {
  out += "{\"n\":";
  ingest::json_num(out, d.n);
  out += d.is_endpoint ? ",\"endpoint\":" : ",\"token\":";
  ingest::json_str(out, target);
  if (!error.empty()) {
    out += ",\"status\":\"failed\",\"reason\":\"store_failed\",\"message\":";
    ingest::json_str(out, error);
    out.push_back('}');
    return;
  }
  out += ",\"status\":\"scheduled\",\"send_at\":";
  ingest::json_str(out, ingest::rfc3339(d.due_ms));
  out += d.quiet_hours ? ",\"reason\":\"quiet_hours\"" : ",\"reason\":\"send_at\"";
  out += ",\"schedule_id\":";
  ingest::json_str(out, ingest::schedule_id_text(id));
  out.push_back('}');
}

}  // namespace

void Gateway::respond_waiting(Waiting& w) {
  std::string out;
  ingest::send_response_head(out, w.id_json, w.accepted, w.rejected, w.rejected_total);
  if (from_source(w.conn_id) && !source_->wants_results()) {
    // The source only needs to know the request is done.
    out += "}";
    answer_source(w, std::move(out));
    return;
  }
  out += ",\"results\":[";
  bool first = true;
  for (const Batch* b : w.batches) {
    for (uint32_t i = 0; i < b->recipients.size(); ++i) {
      if (!first) out.push_back(',');
      first = false;
      append_result(out, *b, i, d_.spool != nullptr);
    }
  }
  // Scheduled recipients answer at once: their send is days away perhaps.
  for (size_t g = 0; g < w.deferred.size(); ++g) {
    const ingest::Deferred& d = w.deferred[g];
    for (const std::string& target : d.targets) {
      if (!first) out.push_back(',');
      first = false;
      append_scheduled(out, d, target, w.deferred_ids[g], w.deferred_error);
    }
  }
  out += "]}";
  if (from_source(w.conn_id))
    answer_source(w, std::move(out));
  else
    server_->respond(w.conn_id, std::move(out));
}

StatsView Gateway::stats_view() const {
  StatsView v;
  for (int p = 0; p < kPlatformCount; ++p) v.accepted[static_cast<size_t>(p)] = accepted_[p];
  v.queue_depth = queue_depth();
  v.fleet = fleet_->stats();
  if (d_.spool) v.spool = d_.spool->stats();
  if (d_.store) v.store = d_.store->stats();
  v.source = source_;
  v.observed = this;
  v.families = d_.families;
  return v;
}

std::string Gateway::stats_json(std::string_view id_json) const { return daemon::stats_json(id_json, stats_view()); }

}  // namespace pushgw::daemon
