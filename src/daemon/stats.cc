#include "daemon/stats.h"

#include <utility>

#include "ingest/json_out.h"

namespace pushgw::daemon {
namespace {

using ingest::json_fixed3;
using ingest::json_key;
using ingest::json_num;

using Field = std::pair<const char*, uint64_t>;

// ,"name":value for each field (the object's opening brace is the caller's).
template <size_t N>
void append_fields(std::string& out, const Field (&fields)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out.push_back(',');
    json_key(out, fields[i].first);
    json_num(out, static_cast<int64_t>(fields[i].second));
  }
}

void append_platforms(std::string& out, const StatsView& v) {
  out += "\"platforms\":{";
  for (int p = 0; p < kPlatformCount; ++p) {
    const dispatch::FleetStats::Outcomes& o = v.fleet.platform[p];
    const Field fields[] = {{"accepted", v.accepted[static_cast<size_t>(p)]},
                            {"delivered", o.delivered},
                            {"failed", o.failed},
                            {"invalid", o.invalid},
                            {"unsubscribed", o.unsubscribed},
                            {"suppressed", o.suppressed},
                            {"retried", o.retried},
                            {"capped", o.capped},
                            {"expired", o.expired}};
    if (p) out.push_back(',');
    json_key(out, to_string(static_cast<Platform>(p)));
    out.push_back('{');
    append_fields(out, fields);
    out.push_back('}');
  }
  out.push_back('}');
}

void append_latency(std::string& out, std::string_view name, const dispatch::LatencySummary& l) {
  json_key(out, name);
  static constexpr double kQs[] = {0.5, 0.9, 0.99, 0.999};
  double ms[4];
  l.quantiles_ms(kQs, ms, 4);
  out += "{\"count\":";
  json_num(out, static_cast<int64_t>(l.total));
  const char* keys[] = {",\"p50\":", ",\"p90\":", ",\"p99\":", ",\"p999\":"};
  for (int i = 0; i < 4; ++i) {
    out += keys[i];
    json_fixed3(out, ms[i]);
  }
  out.push_back('}');
}

void append_fleet(std::string& out, const StatsView& v) {
  const Field fields[] = {{"queue_depth", v.queue_depth},
                          {"connections", v.fleet.connections},
                          {"streams_in_flight", v.fleet.streams_in_flight},
                          {"webpush_shed", v.fleet.webpush_shed}};
  append_fields(out, fields);
  out += ",\"latency_ms\":{";
  append_latency(out, "e2e", v.fleet.e2e);
  out.push_back(',');
  append_latency(out, "provider", v.fleet.provider);
  out.push_back(',');
  append_latency(out, "gateway", v.fleet.gateway);
  out.push_back(',');
  append_latency(out, "queue", v.fleet.queue);
  out.push_back(',');
  append_latency(out, "build", v.fleet.build);
  out.push_back(',');
  append_latency(out, "stream_wait", v.fleet.stream_wait);
  out += "},\"workers\":";
  json_num(out, v.fleet.workers);
}

void append_spool(std::string& out, const spool::SpoolStats& sp) {
  const Field fields[] = {{"requests", sp.requests}, {"done", sp.done_recipients}, {"live_requests", sp.live_requests},
                          {"replayed", sp.replayed}, {"commits", sp.commits},        {"syncs", sp.syncs},
                          {"segments", sp.segments}};
  out += ",\"spool\":{";
  append_fields(out, fields);
  out += sp.failed ? ",\"failed\":true}" : ",\"failed\":false}";
}

void append_store(std::string& out, const store::StoreStats& ss) {
  const Field fields[] = {{"tokens", ss.tokens},
                          {"invalid", ss.invalid},
                          {"unsubscribed", ss.unsubscribed},
                          {"events", ss.events},
                          {"backlog", ss.backlog},
                          {"suppressed_entries", ss.suppressed_entries},
                          {"suppression_bytes", ss.suppression_bytes},
                          {"send_flushes", ss.send_flushes},
                          {"pending_send_tokens", ss.pending_send_tokens},
                          {"send_log_tokens", ss.send_log_tokens}};
  out += ",\"store\":{";
  append_fields(out, fields);
  out += ss.failing_since_ms == 0 ? ",\"available\":true}" : ",\"available\":false}";
}

}  // namespace

std::string stats_json(std::string_view id_json, const StatsView& v) {
  std::string out = "{\"id\":";
  out += id_json;
  out += ",\"ok\":true,";
  append_platforms(out, v);
  out.push_back(',');
  append_fleet(out, v);
  if (v.spool) append_spool(out, *v.spool);
  if (v.store) append_store(out, *v.store);
  if (v.observed) append_operator_stats(out, *v.observed, v.families);
  if (v.source) {
    out.push_back(',');
    v.source->append_stats(out);
  }
  out.push_back('}');
  return out;
}

std::string status_line(const StatsView& v) {
  uint64_t accepted = 0, delivered = 0, failed = 0;
  for (int p = 0; p < kPlatformCount; ++p) {
    accepted += v.accepted[static_cast<size_t>(p)];
    delivered += v.fleet.platform[p].delivered;
    failed += v.fleet.platform[p].failed;
  }
  std::string line = "accepted " + std::to_string(accepted) + ", delivered " + std::to_string(delivered) +
                     ", failed " + std::to_string(failed) + ", queued " + std::to_string(v.queue_depth) +
                     ", connections " + std::to_string(v.fleet.connections);
  if (v.store && v.store->failing_since_ms != 0) line += ", store unavailable: refusing sends";
  return line;
}

}  // namespace pushgw::daemon
