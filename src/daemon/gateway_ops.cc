// Non-send ops (stats, ping, feedback, token, forget) and the waited-for
// response writer.
#include <simdjson.h>

#include <cstdio>

#include "daemon/gateway.h"
#include "daemon/gateway_observe.h"
#include "daemon/json_out.h"
#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::daemon {

namespace {

// spooled: the daemon has a spool, so a "shutdown" failure is not final: the
// recipient stays journaled and is sent after the restart ("spooled":true).
void append_result(std::string& out, const Batch& b, uint32_t i, bool spooled) {
  const ResultSlot& r = b.results[i];
  out += "{\"n\":";
  json_num(out, b.n);
  out += b.platform == Platform::WebPush ? ",\"endpoint\":" : ",\"token\":";
  json_str(out, b.token(i));
  out += ",\"status\":";
  json_str(out, to_string(r.status));
  if (r.http_status) {
    out += ",\"http_status\":";
    json_num(out, r.http_status);
  }
  if (!r.id.empty()) {
    switch (b.platform) {
      case Platform::Apns: out += ",\"apns_id\":"; break;
      case Platform::Fcm: out += ",\"message_id\":"; break;
      case Platform::WebPush: out += ",\"location\":"; break;
    }
    json_str(out, r.id);
  }
  if (!r.reason.empty()) {
    out += ",\"reason\":";
    json_str(out, r.reason);
  }
  if (!r.provider_reason.empty()) {
    out += ",\"provider_reason\":";
    json_str(out, r.provider_reason);
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
  json_num(out, d.n);
  out += d.is_endpoint ? ",\"endpoint\":" : ",\"token\":";
  json_str(out, target);
  if (!error.empty()) {
    out += ",\"status\":\"failed\",\"reason\":\"store_failed\",\"message\":";
    json_str(out, error);
    out.push_back('}');
    return;
  }
  out += ",\"status\":\"scheduled\",\"send_at\":";
  json_str(out, rfc3339(d.due_ms));
  out += d.quiet_hours ? ",\"reason\":\"quiet_hours\"" : ",\"reason\":\"send_at\"";
  out += ",\"schedule_id\":";
  json_str(out, schedule_id_text(id));
  out.push_back('}');
}

}  // namespace

void Gateway::respond_waiting(Waiting& w) {
  std::string out;
  send_response_head(out, w.id_json, w.accepted, w.rejected, w.rejected_total);
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

std::string Gateway::stats_json(std::string_view id_json) const {
  uint64_t delivered[kPlatformCount] = {}, failed[kPlatformCount] = {}, invalid[kPlatformCount] = {},
           unsub[kPlatformCount] = {}, suppressed[kPlatformCount] = {}, retried[kPlatformCount] = {},
           capped[kPlatformCount] = {}, expired[kPlatformCount] = {};
  uint64_t conns = 0, streams = 0;
  for (const auto& s : senders_) {
    const auto& st = s->stats();
    for (int p = 0; p < kPlatformCount; ++p) {
      delivered[p] += st.platform[p].delivered.load(std::memory_order_relaxed);
      failed[p] += st.platform[p].failed.load(std::memory_order_relaxed);
      invalid[p] += st.platform[p].invalid.load(std::memory_order_relaxed);
      unsub[p] += st.platform[p].unsubscribed.load(std::memory_order_relaxed);
      suppressed[p] += st.platform[p].suppressed.load(std::memory_order_relaxed);
      retried[p] += st.platform[p].retried.load(std::memory_order_relaxed);
      capped[p] += st.platform[p].capped.load(std::memory_order_relaxed);
      expired[p] += st.platform[p].expired.load(std::memory_order_relaxed);
    }
    conns += st.connections.load(std::memory_order_relaxed);
    streams += st.streams_in_flight.load(std::memory_order_relaxed);
  }
  std::string out = "{\"id\":";
  out += id_json;
  out += ",\"ok\":true,\"platforms\":{";
  for (int p = 0; p < kPlatformCount; ++p) {
    if (p) out.push_back(',');
    json_key(out, to_string(static_cast<Platform>(p)));
    out += "{\"accepted\":";
    json_num(out, static_cast<int64_t>(accepted_[p]));
    out += ",\"delivered\":";
    json_num(out, static_cast<int64_t>(delivered[p]));
    out += ",\"failed\":";
    json_num(out, static_cast<int64_t>(failed[p]));
    out += ",\"invalid\":";
    json_num(out, static_cast<int64_t>(invalid[p]));
    out += ",\"unsubscribed\":";
    json_num(out, static_cast<int64_t>(unsub[p]));
    out += ",\"suppressed\":";
    json_num(out, static_cast<int64_t>(suppressed[p]));
    out += ",\"retried\":";
    json_num(out, static_cast<int64_t>(retried[p]));
    out += ",\"capped\":";
    json_num(out, static_cast<int64_t>(capped[p]));
    out += ",\"expired\":";
    json_num(out, static_cast<int64_t>(expired[p]));
    out.push_back('}');
  }
  out += "},\"queue_depth\":";
  json_num(out, static_cast<int64_t>(queue_depth()));
  out += ",\"connections\":";
  json_num(out, static_cast<int64_t>(conns));
  out += ",\"streams_in_flight\":";
  json_num(out, static_cast<int64_t>(streams));
  {
    dispatch::LatencySummary e2e, prov, gw;
    for (const auto& s : senders_) {
      e2e.add(s->stats().e2e_latency);
      prov.add(s->stats().provider_latency);
      gw.add(s->stats().gateway_latency);
    }
    auto summary = [&out](std::string_view name, const dispatch::LatencySummary& l, bool first) {
      if (!first) out.push_back(',');
      json_key(out, name);
      char buf[160];
      snprintf(buf, sizeof buf, "{\"count\":%llu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f}",
               static_cast<unsigned long long>(l.total), l.quantile_ms(0.5), l.quantile_ms(0.9),
               l.quantile_ms(0.99), l.quantile_ms(0.999));
      out += buf;
    };
    out += ",\"latency_ms\":{";
    summary("e2e", e2e, true);
    summary("provider", prov, false);
    summary("gateway", gw, false);
    out.push_back('}');
  }
  out += ",\"workers\":";
  json_num(out, static_cast<int64_t>(senders_.size()));
  if (d_.spool) {
    spool::SpoolStats sp = d_.spool->stats();
    out += ",\"spool\":{\"requests\":";
    json_num(out, static_cast<int64_t>(sp.requests));
    out += ",\"done\":";
    json_num(out, static_cast<int64_t>(sp.done_recipients));
    out += ",\"live_requests\":";
    json_num(out, static_cast<int64_t>(sp.live_requests));
    out += ",\"replayed\":";
    json_num(out, static_cast<int64_t>(sp.replayed));
    out += ",\"commits\":";
    json_num(out, static_cast<int64_t>(sp.commits));
    out += ",\"syncs\":";
    json_num(out, static_cast<int64_t>(sp.syncs));
    out += ",\"segments\":";
    json_num(out, static_cast<int64_t>(sp.segments));
    out += ",\"failed\":";
    out += sp.failed ? "true" : "false";
    out.push_back('}');
  }
  if (d_.store) {
    store::StoreStats ss = d_.store->stats();
    out += ",\"store\":{\"tokens\":";
    json_num(out, static_cast<int64_t>(ss.tokens));
    out += ",\"invalid\":";
    json_num(out, static_cast<int64_t>(ss.invalid));
    out += ",\"unsubscribed\":";
    json_num(out, static_cast<int64_t>(ss.unsubscribed));
    out += ",\"events\":";
    json_num(out, static_cast<int64_t>(ss.events));
    out += ",\"backlog\":";
    json_num(out, static_cast<int64_t>(ss.backlog));
    out += ",\"suppressed_entries\":";
    json_num(out, static_cast<int64_t>(ss.suppressed_entries));
    out += ",\"suppression_bytes\":";
    json_num(out, static_cast<int64_t>(ss.suppression_bytes));
    out.push_back('}');
  }
  append_operator_stats(out, *this, d_.families);
  if (source_) {
    out.push_back(',');
    source_->append_stats(out);
  }
  out.push_back('}');
  return out;
}

}  // namespace pushgw::daemon
