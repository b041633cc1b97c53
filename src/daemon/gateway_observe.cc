// What operators see beyond the contract's stats (gateway_observe.h).
#include "daemon/gateway_observe.h"

#include <algorithm>
#include <map>
#include <span>

#include "dispatch/circuit_breaker.h"
#include "ingest/json_out.h"
#include "metrics/gateway_metrics.h"

namespace pushgw::daemon {
namespace {

using ingest::json_fixed3;
using ingest::json_key;
using ingest::json_num;
using ingest::json_str;
using ingest::rfc3339;

using AppKey = std::pair<std::string, std::string>;  // (platform, app) as metric labels

struct AppCounts {
  uint64_t accepted = 0, retried = 0;
  std::map<std::string, uint64_t, std::less<>> outcomes;  // status -> recipients
  std::vector<uint64_t> provider, gateway;                // per-bucket counts
};

// histogram_quantile's estimate: linear within the bucket the rank falls in;
// past the last finite bound, that bound. Milliseconds; 0 without samples.
double quantile_ms(std::span<const double> bounds, const std::vector<uint64_t>& counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t b = 0; b < counts.size(); ++b) {
    if (static_cast<double>(below + counts[b]) >= rank && counts[b] > 0) {
      if (b >= bounds.size()) return bounds.empty() ? 0 : bounds.back() * 1000;
      const double lo = b == 0 ? 0 : bounds[b - 1];
      const double frac = (rank - static_cast<double>(below)) / static_cast<double>(counts[b]);
      return (lo + (bounds[b] - lo) * frac) * 1000;
    }
    below += counts[b];
  }
  return bounds.empty() ? 0 : bounds.back() * 1000;
}

void add_buckets(std::vector<uint64_t>& into, std::span<const uint64_t> from) {
  if (into.size() < from.size()) into.resize(from.size());
  for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

void append_latency(std::string& out, std::string_view name, std::span<const double> bounds,
                    const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  json_key(out, name);
  out += "{\"count\":";
  json_num(out, static_cast<int64_t>(total));
  out += ",\"p50\":";
  json_fixed3(out, quantile_ms(bounds, counts, 0.5));
  out += ",\"p99\":";
  json_fixed3(out, quantile_ms(bounds, counts, 0.99));
  out.push_back('}');
}

std::string_view state_name(dispatch::CircuitBreaker::State s) {
  switch (s) {
    case dispatch::CircuitBreaker::State::Open: return "open";
    case dispatch::CircuitBreaker::State::HalfOpen: return "half_open";
    case dispatch::CircuitBreaker::State::Closed: break;
  }
  return "closed";
}

constexpr Status kStatuses[] = {Status::Delivered, Status::Failed,     Status::Invalid, Status::Unsubscribed,
                                Status::Suppressed, Status::Capped, Status::Expired};

}  // namespace

namespace {

// Per-app totals from the families' series (labels: notifications
// {platform,app,outcome,reason}; retries {platform,app,reason}; accepted and
// the histograms {platform,app}).
std::map<AppKey, AppCounts> collect_apps(const Observed& gw, const metrics::GatewayFamilies* f) {
  std::map<AppKey, AppCounts> apps;
  for (const auto& [p, name] : gw.app_names()) apps[{std::string(to_string(p)), name}];
  if (f == nullptr) return apps;
  f->notifications.collect([&](const std::vector<std::string>& v, uint64_t n) {
    if (v.size() >= 3) apps[{v[0], v[1]}].outcomes[v[2]] += n;
  });
  f->retries.collect([&](const std::vector<std::string>& v, uint64_t n) {
    if (v.size() >= 2) apps[{v[0], v[1]}].retried += n;
  });
  f->accepted.collect([&](const std::vector<std::string>& v, uint64_t n) {
    if (v.size() >= 2) apps[{v[0], v[1]}].accepted += n;
  });
  f->provider_latency.collect([&](const std::vector<std::string>& v, std::span<const uint64_t> b, double) {
    if (v.size() >= 2) add_buckets(apps[{v[0], v[1]}].provider, b);
  });
  f->gateway_latency.collect([&](const std::vector<std::string>& v, std::span<const uint64_t> b, double) {
    if (v.size() >= 2) add_buckets(apps[{v[0], v[1]}].gateway, b);
  });
  return apps;
}

void append_app(std::string& out, const AppKey& key, const AppCounts& c, const metrics::GatewayFamilies* f) {
  out += "{\"platform\":";
  json_str(out, key.first);
  out += ",\"app\":";
  json_str(out, key.second);
  out += ",\"accepted\":";
  json_num(out, static_cast<int64_t>(c.accepted));
  for (Status st : kStatuses) {
    out.push_back(',');
    json_key(out, to_string(st));
    auto it = c.outcomes.find(to_string(st));
    json_num(out, static_cast<int64_t>(it == c.outcomes.end() ? 0 : it->second));
  }
  out += ",\"retried\":";
  json_num(out, static_cast<int64_t>(c.retried));
  if (f != nullptr) {
    out += ",\"latency_ms\":{";
    append_latency(out, "provider", f->provider_latency.bounds(), c.provider);
    out.push_back(',');
    append_latency(out, "gateway", f->gateway_latency.bounds(), c.gateway);
    out.push_back('}');
  }
  out.push_back('}');
}

void append_breaker(std::string& out, const OriginBreaker& b) {
  out += "{\"platform\":";
  json_str(out, to_string(b.platform));
  out += ",\"app\":";
  json_str(out, b.app);
  out += ",\"origin\":";
  json_str(out, b.view.origin);
  out += ",\"state\":";
  json_str(out, state_name(b.view.state));
  out += ",\"opens\":";
  json_num(out, static_cast<int64_t>(b.view.opens));
  out += ",\"retry_in_ms\":";
  json_num(out, b.view.retry_in_ms);
  out += ",\"held\":";
  json_num(out, static_cast<int64_t>(b.view.held));
  out.push_back('}');
}

}  // namespace

void append_operator_stats(std::string& out, const Observed& gateway, const metrics::GatewayFamilies* families) {
  out += ",\"max_queued\":";
  json_num(out, static_cast<int64_t>(gateway.max_queued()));
  out += ",\"apps\":[";
  bool first = true;
  for (const auto& [key, counts] : collect_apps(gateway, families)) {
    if (!first) out.push_back(',');
    first = false;
    append_app(out, key, counts, families);
  }
  out += "],\"breakers\":[";
  first = true;
  for (const auto& b : gateway.breakers()) {
    if (!first) out.push_back(',');
    first = false;
    append_breaker(out, b);
  }
  out.push_back(']');
  if (const dispatch::SuspectGuard* guard = gateway.suspect_guard()) {
    out += ",\"suspect\":[";
    first = true;
    for (const auto& s : guard->suspects()) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"platform\":";
      json_str(out, to_string(s.platform));
      out += ",\"app\":";
      json_str(out, s.app);
      out += ",\"reason\":";
      json_str(out, s.reason);
      out += ",\"since\":";
      json_str(out, rfc3339(s.since_ms));
      out.push_back('}');
    }
    out.push_back(']');
  }
}

}  // namespace pushgw::daemon
