#include "workload.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "proc_stats.h"

namespace pushgw::bench {
namespace {

std::string apns_token(uint64_t i) {
  char buf[65];
  snprintf(buf, sizeof buf, "a1%014llx%048x", static_cast<unsigned long long>(i), 0);
  return std::string(buf, 64);
}

std::string fcm_token(uint64_t i) {
  std::string t = "bench-" + std::to_string(i) + ":";
  t.resize(152, 'x');
  return t;
}

struct Sub {
  std::string json;  // {"endpoint":...,"keys":{...}} without the private key
};

std::vector<Sub> load_subs(const std::string& path) {
  std::vector<Sub> out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.load(path).get(doc)) return out;
  for (simdjson::dom::element s : doc.get_array()) {
    std::string_view ep, p256, auth;
    if (s["endpoint"].get_string().get(ep) || s["keys"]["p256dh"].get_string().get(p256) ||
        s["keys"]["auth"].get_string().get(auth))
      continue;
    out.push_back(Sub{"{\"endpoint\":\"" + std::string(ep) + "\",\"keys\":{\"p256dh\":\"" + std::string(p256) +
                      "\",\"auth\":\"" + std::string(auth) + "\"}"});
  }
  return out;
}

std::string padding(uint32_t payload_bytes, size_t used) {
  return std::string(payload_bytes > used ? payload_bytes - used : 0, 'x');
}

int connect_unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// A blocking request/response on its own connection (stats polling).
std::string call(int fd, const std::string& line, std::string& buf) {
  if (!write_all(fd, line.data(), line.size())) return "";
  for (;;) {
    size_t nl = buf.find('\n');
    if (nl != std::string::npos) {
      std::string out = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      return out;
    }
    char tmp[65536];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r <= 0) return "";
    buf.append(tmp, static_cast<size_t>(r));
  }
}

struct Totals {
  uint64_t accepted = 0, delivered = 0, failed = 0, other = 0;
  uint64_t store_unwritten = 0;  // store.pending_send_tokens + send_log_tokens
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, gw50 = 0, gw99 = 0, gw999 = 0;
  std::vector<std::pair<std::string, Percentiles>> stages;
  uint64_t finished() const { return delivered + failed + other; }
};

bool read_stats(int fd, std::string& buf, Totals& t);

// Waits (up to 5 minutes) until the store has written every send count into
// its rows (send_flush_ms, then the send log's compaction when idle) and
// records the CPU that took.
void settle(const Rig& rig, int stats_fd, std::string& sbuf, RunResult& r) {
  const double cpu0 = process_cpu_seconds(rig.daemon_pid);
  const auto t0 = std::chrono::steady_clock::now();
  Totals t;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!read_stats(stats_fd, sbuf, t)) return;
  } while (t.store_unwritten > 0 && std::chrono::steady_clock::now() - t0 < std::chrono::minutes(5));
  r.settle_cpu_seconds = process_cpu_seconds(rig.daemon_pid) - cpu0;
  r.settle_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool read_stats(int fd, std::string& buf, Totals& t) {
  std::string line = call(fd, "{\"op\":\"stats\",\"id\":\"bench-stats\"}\n", buf);
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (line.empty() || p.parse(line).get(doc)) return false;
  t = Totals{};
  simdjson::dom::object plats;
  if (doc["platforms"].get_object().get(plats)) return false;
  for (auto kv : plats) {
    auto get = [&](const char* k) {
      uint64_t v = 0;
      if (kv.value[k].get_uint64().get(v)) v = 0;
      return v;
    };
    t.accepted += get("accepted");
    t.delivered += get("delivered");
    t.failed += get("failed");
    t.other += get("invalid") + get("unsubscribed") + get("suppressed");
  }
  for (const char* k : {"pending_send_tokens", "send_log_tokens"}) {
    uint64_t v = 0;
    if (!doc["store"][k].get_uint64().get(v)) t.store_unwritten += v;
  }
  auto lat = doc["latency_ms"];
  if (lat["e2e"]["p50"].get_double().get(t.p50)) t.p50 = 0;
  if (lat["e2e"]["p90"].get_double().get(t.p90)) t.p90 = 0;
  if (lat["e2e"]["p99"].get_double().get(t.p99)) t.p99 = 0;
  if (lat["e2e"]["p999"].get_double().get(t.p999)) t.p999 = 0;
  if (lat["gateway"]["p50"].get_double().get(t.gw50)) t.gw50 = 0;
  if (lat["gateway"]["p99"].get_double().get(t.gw99)) t.gw99 = 0;
  if (lat["gateway"]["p999"].get_double().get(t.gw999)) t.gw999 = 0;
  for (const char* stage : {"queue", "build", "stream_wait", "provider"}) {
    Percentiles q;
    auto h = lat[stage];
    if (h.error()) continue;
    if (h["p50"].get_double().get(q.p50)) q.p50 = 0;
    if (h["p99"].get_double().get(q.p99)) q.p99 = 0;
    if (h["p999"].get_double().get(q.p999)) q.p999 = 0;
    t.stages.emplace_back(stage, q);
  }
  return true;
}

// How long to wait before the next stats poll. The run's end is seen at a
// poll, so a fixed period would add up to stats_ms to the run's time (2-4%
// of a 1 s run at 50 ms, charged to pushgwd's rate and not to h2load's):
// once the last two samples' rate predicts the end within a period, polls
// come at half the predicted rest, down to 1 ms.
std::chrono::microseconds next_poll(const std::vector<Sample>& tl, uint64_t expected, int stats_ms) {
  const std::chrono::microseconds period(int64_t{stats_ms} * 1000), floor(1000);
  if (tl.size() < 2) return period;
  const Sample &a = tl[tl.size() - 2], &b = tl.back();
  if (b.finished >= expected) return floor;
  if (b.finished <= a.finished) return period;  // not delivering yet (ingest, or stuck)
  const double rate = static_cast<double>(b.finished - a.finished) / (b.t - a.t);
  const auto rest = std::chrono::microseconds(static_cast<int64_t>(
      static_cast<double>(expected - b.finished) / rate * 1e6 / 2));
  return std::clamp(rest, floor, period);
}

}  // namespace

std::string webpush_payload(const Options& o, std::string_view title) {
  return "{\"title\":\"" + std::string(title) + "\",\"body\":\"" + padding(o.payload_bytes, 30) + "\"}";
}

std::vector<std::string> build_requests(const Options& o, const Rig& rig) {
  std::vector<Sub> subs;
  for (const auto& m : o.mix)
    if (m.platform == "webpush" && m.percent > 0) subs = load_subs(rig.subscriptions);
  std::vector<std::string> lines;
  uint64_t done = 0, req = 0;
  const uint32_t distinct = o.distinct_tokens;
  while (done < o.recipients) {
    uint64_t n = std::min<uint64_t>(o.batch, o.recipients - done);
    std::string line = "{\"op\":\"send\",\"id\":\"b" + std::to_string(req++) + "\",\"notifications\":[";
    uint64_t assigned = 0;
    bool first_n = true;
    for (size_t k = 0; k < o.mix.size(); ++k) {
      const auto& m = o.mix[k];
      uint64_t share = k + 1 == o.mix.size() ? n - assigned : n * static_cast<uint64_t>(m.percent) / 100;
      assigned += share;
      if (share == 0) continue;
      if (!first_n) line += ",";
      first_n = false;
      const char* title = o.personalize ? "Hi {{name}}" : "Hi there";
      if (m.platform == "apns") {
        std::string head = "{\"aps\":{\"alert\":{\"title\":\"" + std::string(title) + "\",\"body\":\"";
        line += "{\"platform\":\"apns\",\"app\":\"bench-ios\",\"push_type\":\"alert\",\"payload\":" + head +
                padding(o.payload_bytes, head.size() + 5) + "\"}}},\"tokens\":[";
      } else if (m.platform == "fcm") {
        std::string head = "{\"notification\":{\"title\":\"" + std::string(title) + "\",\"body\":\"";
        line += "{\"platform\":\"fcm\",\"app\":\"bench-android\",\"message\":" + head +
                padding(o.payload_bytes, head.size() + 4) + "\"}},\"tokens\":[";
      } else {
        line += "{\"platform\":\"webpush\",\"app\":\"bench-web\",\"ttl\":3600,\"payload\":" +
                webpush_payload(o, title) + ",\"subscriptions\":[";
      }
      for (uint64_t i = 0; i < share; ++i) {
        uint64_t idx = done + i;
        if (distinct) idx %= distinct;
        if (i) line += ",";
        std::string vars = o.personalize ? ",\"vars\":{\"name\":\"User" + std::to_string(idx) + "\"}" : "";
        if (m.platform == "webpush") {
          if (subs.empty()) break;
          const std::string& s = subs[idx % subs.size()].json;
          line += s.substr(0, s.size()) + vars + "}";
          continue;
        }
        std::string tok = m.platform == "apns" ? apns_token(idx) : fcm_token(idx);
        if (o.personalize) line += "{\"token\":\"" + tok + "\"" + vars + "}";
        else line += "\"" + tok + "\"";
      }
      line += "]}";
    }
    line += "]}\n";
    lines.push_back(std::move(line));
    done += n;
  }
  return lines;
}

RunResult drive(const Options& o, const Rig& rig, const std::vector<std::string>& lines) {
  RunResult r;
  int send_fd = connect_unix(rig.socket);
  int stats_fd = connect_unix(rig.socket);
  if (send_fd < 0 || stats_fd < 0) {
    r.error = "cannot connect to " + rig.socket;
    return r;
  }
  std::string sbuf;
  Totals base;
  read_stats(stats_fd, sbuf, base);
  const double cpu0 = rig.daemon_pid ? process_cpu_seconds(rig.daemon_pid) : -1;
  const double sys0 = rig.daemon_pid ? process_sys_cpu_seconds(rig.daemon_pid) : -1;
  const double sink0 = rig.sink_pid ? process_cpu_seconds(rig.sink_pid) : -1;
  const int64_t faults0 = rig.daemon_pid ? process_minor_faults(rig.daemon_pid) : -1;
  const double delay0 = rig.daemon_pid ? process_run_delay_seconds(rig.daemon_pid) : -1;
  const std::map<std::string, double> thread_delay0 =
      rig.daemon_pid ? thread_run_delay_seconds(rig.daemon_pid) : std::map<std::string, double>{};
  const std::map<std::string, double> thread_cpu0 =
      rig.daemon_pid ? thread_cpu_seconds(rig.daemon_pid) : std::map<std::string, double>{};

  std::atomic<uint64_t> acked{0};
  std::atomic<bool> reader_done{false};
  std::thread reader([&] {
    char tmp[65536];
    size_t lines_seen = 0;
    while (lines_seen < lines.size()) {
      ssize_t n = read(send_fd, tmp, sizeof tmp);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i)
        if (tmp[i] == '\n') ++lines_seen;
      acked.store(lines_seen, std::memory_order_relaxed);
    }
    reader_done = true;
  });

  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::thread writer([&] {
    double per_line = o.rate > 0 ? static_cast<double>(o.batch) / o.rate : 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (per_line > 0) {
        double due = per_line * static_cast<double>(i);
        double now = elapsed();
        if (due > now) std::this_thread::sleep_for(std::chrono::duration<double>(due - now));
      }
      if (!write_all(send_fd, lines[i].data(), lines[i].size())) break;
    }
  });

  Totals cur;
  for (;;) {
    std::this_thread::sleep_for(next_poll(r.timeline, o.recipients, o.stats_ms));
    if (!read_stats(stats_fd, sbuf, cur)) {
      r.error = "stats failed";
      break;
    }
    uint64_t fin = cur.finished() - base.finished();
    r.timeline.push_back(Sample{elapsed(), fin});
    if (acked.load() == lines.size() && fin >= cur.accepted - base.accepted) break;
    if (elapsed() > 3600) {
      r.error = "timeout";
      break;
    }
  }
  r.seconds = elapsed();
  writer.join();
  shutdown(send_fd, SHUT_RDWR);
  reader.join();
  close(send_fd);
  if (rig.daemon_pid) {
    r.cpu_seconds = process_cpu_seconds(rig.daemon_pid) - cpu0;
    r.sys_cpu_seconds = process_sys_cpu_seconds(rig.daemon_pid) - sys0;
    r.peak_rss_kb = process_peak_rss_kb(rig.daemon_pid);
    if (faults0 >= 0) r.page_faults = process_minor_faults(rig.daemon_pid) - faults0;
    if (delay0 >= 0) r.run_delay_seconds = process_run_delay_seconds(rig.daemon_pid) - delay0;
    for (const auto& [name, s] : thread_run_delay_seconds(rig.daemon_pid)) {
      auto before = thread_delay0.find(name);
      r.run_delay_by_thread[name] = s - (before == thread_delay0.end() ? 0 : before->second);
    }
    for (const auto& [name, s] : thread_cpu_seconds(rig.daemon_pid)) {
      auto before = thread_cpu0.find(name);
      r.cpu_by_thread[name] = s - (before == thread_cpu0.end() ? 0 : before->second);
    }
  }
  if (sink0 >= 0) r.sink_cpu_seconds = process_cpu_seconds(rig.sink_pid) - sink0;
  if (o.settle && rig.daemon_pid) settle(rig, stats_fd, sbuf, r);
  close(stats_fd);
  r.accepted = cur.accepted - base.accepted;
  r.delivered = cur.delivered - base.delivered;
  r.failed = cur.failed - base.failed;
  r.other = cur.other - base.other;
  r.lat_p50 = cur.p50;
  r.lat_p90 = cur.p90;
  r.lat_p99 = cur.p99;
  r.lat_p999 = cur.p999;
  r.stages = cur.stages;
  r.gw_p50 = cur.gw50;
  r.gw_p99 = cur.gw99;
  r.gw_p999 = cur.gw999;
  return r;
}

}  // namespace pushgw::bench
