#include "top_model.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>

#include "format.h"
#include "json_util.h"
#include "table.h"

namespace pushgw::ctl {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kCounterNames[kTopCounters] = {
    "accepted", "delivered", "failed", "invalid", "unsubscribed", "suppressed", "capped", "expired", "retried"};

uint64_t u64(const object& o, std::string_view key) {
  uint64_t v = 0;
  if (!o.at_key(key).get_uint64().get(v)) return v;
  double d = 0;
  if (!o.at_key(key).get_double().get(d) && d > 0) return static_cast<uint64_t>(d);
  return 0;
}

double num(const object& o, std::string_view key) {
  double v = 0;
  return o.at_key(key).get_double().get(v) ? 0 : v;
}

std::string str(const object& o, std::string_view key) {
  element e;
  return o.at_key(key).get(e) ? std::string() : cell_text(e);
}

TopCounts counts_of(const object& o) {
  TopCounts c{};
  for (size_t i = 0; i < kTopCounters; ++i) c[i] = u64(o, kCounterNames[i]);
  return c;
}

TopLatency latency_of(const object& parent, std::string_view key) {
  TopLatency l;
  object o;
  if (parent.at_key(key).get_object().get(o)) return l;
  l.p50 = num(o, "p50");
  l.p99 = num(o, "p99");
  uint64_t count = 0;
  l.known = o.at_key("count").get_uint64().get(count) || count > 0;  // no count: trust the figures
  return l;
}

void parse_apps(const object& obj, TopSample& s) {
  simdjson::dom::array apps;
  if (obj.at_key("apps").get_array().get(apps)) return;
  for (element e : apps) {
    object a;
    if (e.get_object().get(a)) continue;
    TopRow r{str(a, "platform"), str(a, "app"), counts_of(a), {}};
    object lat;
    if (!a.at_key("latency_ms").get_object().get(lat)) r.provider = latency_of(lat, "provider");
    s.apps.push_back(std::move(r));
  }
}

void parse_breakers(const object& obj, TopSample& s) {
  simdjson::dom::array list;
  if (obj.at_key("breakers").get_array().get(list)) return;
  for (element e : list) {
    object b;
    if (e.get_object().get(b)) continue;
    const std::string state = str(b, "state");
    if (state != "closed") ++s.breakers_open;
    char tail[96];
    std::snprintf(tail, sizeof tail, "  opens %llu  held %llu", static_cast<unsigned long long>(u64(b, "opens")),
                  static_cast<unsigned long long>(u64(b, "held")));
    std::string line = str(b, "platform") + "/" + str(b, "app") + "  " + str(b, "origin") + "  " + state + tail;
    if (state == "open") {
      char probe[48];
      std::snprintf(probe, sizeof probe, "  probe in %.1fs", num(b, "retry_in_ms") / 1000.0);
      line += probe;
    }
    s.breakers.push_back(std::move(line));
  }
}

// "suspect":[{"platform","app","reason","since"}] (issue 13's field).
void parse_suspect(const object& obj, TopSample& s) {
  simdjson::dom::array list;
  if (obj.at_key("suspect").get_array().get(list)) return;
  s.has_suspect = true;
  for (element e : list) {
    object a;
    if (e.get_object().get(a)) continue;
    std::string line = str(a, "platform") + "/" + str(a, "app");
    if (const std::string reason = str(a, "reason"); !reason.empty()) line += "  " + reason;
    if (const std::string since = str(a, "since"); !since.empty()) line += "  since " + since;
    s.suspect.push_back(std::move(line));
  }
}

}  // namespace

uint64_t finals(const TopCounts& c) {
  return c[kDelivered] + c[kFailed] + c[kInvalid] + c[kUnsubscribed] + c[kSuppressed] + c[kCapped] + c[kExpired];
}

Result<TopSample> parse_top_sample(std::string_view response, double at_s) {
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, response);
  if (!obj.ok()) return make_error("bad_response", "daemon response is " + obj.error().message);
  TopSample s;
  s.at_s = at_s;
  object platforms;
  if (!obj->at_key("platforms").get_object().get(platforms)) {
    for (auto kv : platforms) {
      object c;
      if (!kv.value.get_object().get(c)) s.platforms.push_back(TopRow{std::string(kv.key), "", counts_of(c), {}});
    }
  }
  parse_apps(*obj, s);
  s.queue_depth = u64(*obj, "queue_depth");
  s.max_queued = u64(*obj, "max_queued");
  s.connections = u64(*obj, "connections");
  s.streams = u64(*obj, "streams_in_flight");
  s.workers = u64(*obj, "workers");
  object lat;
  if (!obj->at_key("latency_ms").get_object().get(lat)) {
    s.e2e = latency_of(lat, "e2e");
    s.gateway = latency_of(lat, "gateway");
    s.provider = latency_of(lat, "provider");
  }
  object sub;
  if ((s.has_store = !obj->at_key("store").get_object().get(sub))) s.store_backlog = u64(sub, "backlog");
  if ((s.has_spool = !obj->at_key("spool").get_object().get(sub))) {
    s.spool_live = u64(sub, "live_requests");
    bool failed = false;
    s.spool_failed = !sub.at_key("failed").get_bool().get(failed) && failed;
  }
  parse_breakers(*obj, s);
  parse_suspect(*obj, s);
  return s;
}

namespace {

const TopRow* find_row(const std::vector<TopRow>& rows, const TopRow& like) {
  for (const auto& r : rows) {
    if (r.platform == like.platform && r.app == like.app) return &r;
  }
  return nullptr;
}

uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

std::string rate_text(double per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, per_s >= 100 || per_s == 0 ? "%.0f" : "%.1f", per_s);
  return buf;
}

std::string ms_text(const TopLatency& l, double v) {
  if (!l.known) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// One grid row: rates against prev (one interval ago), mix against oldest.
std::vector<std::string> grid_row(const TopRow& cur, const TopRow* prev, const TopRow* oldest, double dt) {
  TopCounts zero{};
  const TopCounts& p = prev ? prev->counts : zero;
  const TopCounts& o = oldest ? oldest->counts : zero;
  TopCounts mix{};
  for (size_t i = 0; i < kTopCounters; ++i) mix[i] = delta(cur.counts[i], o[i]);
  const uint64_t window = finals(mix);
  auto pct = [&](uint64_t n) { return window == 0 ? std::string("-") : percent_text(double(n) / double(window)); };
  auto per_s = [&](size_t i) { return rate_text(dt > 0 ? double(delta(cur.counts[i], p[i])) / dt : 0); };
  const double out_s = dt > 0 ? double(delta(finals(cur.counts), finals(p))) / dt : 0;
  return {cur.platform,
          cur.app.empty() ? "*" : cur.app,
          per_s(kAccepted),
          rate_text(out_s),
          std::to_string(finals(cur.counts)),
          pct(mix[kDelivered]),
          pct(mix[kFailed]),
          pct(mix[kInvalid]),
          pct(mix[kUnsubscribed]),
          pct(mix[kSuppressed]),
          pct(mix[kCapped] + mix[kExpired]),
          per_s(kRetried),
          cur.app.empty() ? "" : ms_text(cur.provider, cur.provider.p50),
          cur.app.empty() ? "" : ms_text(cur.provider, cur.provider.p99)};
}

std::string grid(const std::deque<TopSample>& history) {
  const TopSample& cur = history.back();
  const TopSample* prev = history.size() > 1 ? &history[history.size() - 2] : nullptr;
  const TopSample& oldest = history.front();
  const double dt = prev ? cur.at_s - prev->at_s : 0;
  Table t({{"PLATFORM", Align::Left, 8},  {"APP", Align::Left, 12},  {"IN/s", Align::Right, 6},
           {"OUT/s", Align::Right, 6},    {"TOTAL", Align::Right, 8}, {"DELIV%", Align::Right, 6},
           {"FAIL%", Align::Right, 6},    {"INVAL%", Align::Right, 6}, {"UNSUB%", Align::Right, 6},
           {"SUPPR%", Align::Right, 6},   {"OTHER%", Align::Right, 6}, {"RETRY/s", Align::Right, 7},
           {"P50ms", Align::Right, 6},    {"P99ms", Align::Right, 6}});
  for (const TopRow& p : cur.platforms) {
    t.add_row(grid_row(p, prev ? find_row(prev->platforms, p) : nullptr, find_row(oldest.platforms, p), dt));
    for (const TopRow& a : cur.apps) {
      if (a.platform != p.platform) continue;
      t.add_row(grid_row(a, prev ? find_row(prev->apps, a) : nullptr, find_row(oldest.apps, a), dt));
    }
  }
  return t.render();
}

std::string lat_text(const TopLatency& l) {
  if (!l.known) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f/%.2f", l.p50, l.p99);
  return buf;
}

void push_text(std::vector<std::string>& lines, const std::string& text) {
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  if (start < text.size()) lines.push_back(text.substr(start));
}

}  // namespace

std::vector<std::string> render_top(const std::deque<TopSample>& history, const TopHeader& h) {
  const TopSample& s = history.back();
  std::vector<std::string> lines;
  char buf[256];
  const double window = history.size() > 1 ? s.at_s - history.front().at_s : 0;
  std::snprintf(buf, sizeof buf, "pushgwctl top - %s - %s - every %.1fs, mix over %.0fs - q quits",
                sanitize(h.socket).c_str(), h.clock.c_str(), h.interval_s, window);
  lines.emplace_back(buf);
  std::string queue = "queue " + std::to_string(s.queue_depth);
  if (s.max_queued > 0) queue += " of " + std::to_string(s.max_queued) + " (" +
                                 percent_text(double(s.queue_depth) / double(s.max_queued)) + ")";
  std::snprintf(buf, sizeof buf, "   connections %llu   streams in flight %llu   workers %llu",
                static_cast<unsigned long long>(s.connections), static_cast<unsigned long long>(s.streams),
                static_cast<unsigned long long>(s.workers));
  lines.push_back(queue + buf);
  lines.push_back("latency ms p50/p99   e2e " + lat_text(s.e2e) + "   gateway " + lat_text(s.gateway) +
                  "   provider " + lat_text(s.provider));
  std::string state = s.has_store ? "store backlog " + std::to_string(s.store_backlog) : "store -";
  if (s.has_spool) state += "   spool live " + std::to_string(s.spool_live) + (s.spool_failed ? " FAILED" : "");
  state += "   breakers open " + std::to_string(s.breakers_open);
  state += "   suspect apps " + (s.has_suspect ? std::to_string(s.suspect.size()) : std::string("-"));
  lines.push_back(state);
  lines.emplace_back();
  push_text(lines, grid(history));
  if (!s.breakers.empty()) {
    lines.emplace_back();
    lines.emplace_back("circuit breakers that opened:");
    for (const auto& b : s.breakers) lines.push_back("  " + sanitize(b));
  }
  lines.emplace_back();
  if (!s.has_suspect) {
    lines.emplace_back("suspect apps: not reported by this pushgwd");
  } else if (s.suspect.empty()) {
    lines.emplace_back("suspect apps: none");
  } else {
    lines.emplace_back("suspect apps:");
    for (const auto& a : s.suspect) lines.push_back("  " + sanitize(a));
  }
  return lines;
}

}  // namespace pushgw::ctl
