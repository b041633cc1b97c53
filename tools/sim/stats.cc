#include "stats.h"

#include "json_out.h"

namespace pushgw::sim {

bool parse_platform(std::string_view s, Platform& out) {
  if (s == "apns") out = Platform::kApns;
  else if (s == "fcm") out = Platform::kFcm;
  else if (s == "webpush") out = Platform::kWebPush;
  else return false;
  return true;
}

void Stats::note_concurrency(uint64_t n) {
  uint64_t cur = max_concurrent_streams_seen.load(std::memory_order_relaxed);
  while (n > cur && !max_concurrent_streams_seen.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
  }
}

void Stats::reset() {
  for (Counter* c : {&connections_accepted, &connections_refused, &connections_stalled, &tls_handshakes,
                     &tls_failures, &requests, &apns.requests, &apns.jwt_verifications, &apns.jwts_accepted,
                     &apns.jwt_rejections, &apns.wrong_topic, &fcm.token_requests, &fcm.tokens_issued,
                     &fcm.requests, &webpush.requests, &webpush.vapid_verifications, &webpush.decrypt_failures,
                     &max_concurrent_streams_seen, &refused_streams, &goaways_sent, &settings_violations,
                     &unavailable_answers})
    c->store(0, std::memory_order_relaxed);
  for (auto& c : by_status) c.store(0, std::memory_order_relaxed);
}

void DeliveryRecords::record(Platform p, std::string_view key) {
  const auto i = static_cast<size_t>(p);
  bump(delivered_[i]);
  if (!per_key_) return;
  std::lock_guard<std::mutex> g(mu_);
  auto it = maps_[i].find(key);
  if (it != maps_[i].end()) ++it->second;
  else maps_[i].emplace(std::string(key), 1);
}

DeliveryRecords::Summary DeliveryRecords::summary(Platform p) const {
  const auto i = static_cast<size_t>(p);
  std::lock_guard<std::mutex> g(mu_);
  return {load(delivered_[i]), maps_[i].size()};
}

std::string DeliveryRecords::to_json(Platform p) const {
  const auto i = static_cast<size_t>(p);
  std::string out = "{";
  std::lock_guard<std::mutex> g(mu_);
  out.reserve(maps_[i].size() * 80 + 2);
  bool first = true;
  for (const auto& [k, n] : maps_[i]) {
    if (!first) out += ',';
    first = false;
    json_append_string(out, k);
    out += ':';
    json_append_uint(out, n);
  }
  out += '}';
  return out;
}

void DeliveryRecords::clear() {
  std::lock_guard<std::mutex> g(mu_);
  for (auto& m : maps_) m.clear();
  for (auto& d : delivered_) d.store(0, std::memory_order_relaxed);
}

namespace {

void field(std::string& out, const char* name, uint64_t v, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += name;
  out += "\":";
  json_append_uint(out, v);
}

void delivery_fields(std::string& out, const DeliveryRecords::Summary& s, bool per_key) {
  field(out, "delivered", s.delivered);
  if (!per_key) return;  // --sink: no per-key records, so no distinct count
  field(out, "distinct_delivered", s.distinct);
  field(out, "duplicate_delivered", s.delivered - s.distinct);
}

}  // namespace

std::string render_stats_json(const Stats& s, const DeliveryRecords& r) {
  std::string out = "{";
  field(out, "connections_accepted", load(s.connections_accepted), false);
  field(out, "connections_refused", load(s.connections_refused));
  field(out, "connections_stalled", load(s.connections_stalled));
  field(out, "tls_handshakes", load(s.tls_handshakes));
  field(out, "tls_failures", load(s.tls_failures));
  field(out, "requests", load(s.requests));
  out += ",\"by_status\":{";
  bool first = true;
  for (size_t code = 0; code < s.by_status.size(); ++code) {
    uint64_t n = load(s.by_status[code]);
    if (n == 0) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    json_append_uint(out, code);
    out += "\":";
    json_append_uint(out, n);
  }
  out += "},\"apns\":{";
  field(out, "requests", load(s.apns.requests), false);
  delivery_fields(out, r.summary(Platform::kApns), r.per_key());
  field(out, "jwt_verifications", load(s.apns.jwt_verifications));
  field(out, "jwts_accepted", load(s.apns.jwts_accepted));
  field(out, "jwt_rejections", load(s.apns.jwt_rejections));
  field(out, "wrong_topic", load(s.apns.wrong_topic));
  out += "},\"fcm\":{";
  field(out, "token_requests", load(s.fcm.token_requests), false);
  field(out, "tokens_issued", load(s.fcm.tokens_issued));
  field(out, "requests", load(s.fcm.requests));
  delivery_fields(out, r.summary(Platform::kFcm), r.per_key());
  out += "},\"webpush\":{";
  field(out, "requests", load(s.webpush.requests), false);
  delivery_fields(out, r.summary(Platform::kWebPush), r.per_key());
  field(out, "vapid_verifications", load(s.webpush.vapid_verifications));
  field(out, "decrypt_failures", load(s.webpush.decrypt_failures));
  out += '}';
  field(out, "max_concurrent_streams_seen", load(s.max_concurrent_streams_seen));
  field(out, "refused_streams", load(s.refused_streams));
  field(out, "goaways_sent", load(s.goaways_sent));
  field(out, "settings_violations", load(s.settings_violations));
  field(out, "unavailable_answers", load(s.unavailable_answers));
  out += '}';
  return out;
}

}  // namespace pushgw::sim
