#include "report.h"

#include <cstdio>
#include <fstream>

#include "rig.h"

namespace pushgw::bench {

namespace {
std::string num(double v, int prec = 3) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}
}  // namespace

std::string report_json(const Options& o, const RunResult& r, const H2loadResult& h) {
  std::string mix;
  for (const auto& m : o.mix) mix += (mix.empty() ? "" : ",") + m.platform + ":" + std::to_string(m.percent);
  const double finished = static_cast<double>(r.delivered + r.failed + r.other);
  const double rate = r.seconds > 0 ? finished / r.seconds : 0;
  std::string out = "{\"platform\":\"" + mix + "\",\"recipients\":" + std::to_string(o.recipients) +
                    ",\"batch\":" + std::to_string(o.batch) + ",\"payload_bytes\":" + std::to_string(o.payload_bytes) +
                    ",\"personalize\":" + (o.personalize ? "true" : "false") +
                    ",\"connections\":" + std::to_string(o.connections) + ",\"workers\":" + std::to_string(o.workers) +
                    ",\"track_sends\":" + std::to_string(o.track_sends) + ",\"send_log\":" + std::to_string(o.send_log) + ",\"spool\":\"" +
                    (o.spool.empty() ? "none" : o.spool) + "\"" +
                    ",\"mode\":\"" + (o.rate > 0 ? "open" : "closed") + "\"";
  if (o.rate > 0) out += ",\"offered_per_s\":" + num(o.rate, 0);
  out += ",\"accepted\":" + std::to_string(r.accepted) + ",\"delivered\":" + std::to_string(r.delivered) +
         ",\"failed\":" + std::to_string(r.failed) + ",\"other\":" + std::to_string(r.other) +
         ",\"seconds\":" + num(r.seconds) + ",\"notifications_per_s\":" + num(rate, 0);
  if (r.cpu_seconds >= 0 && finished > 0) {
    out += ",\"pushgwd_cpu_seconds\":" + num(r.cpu_seconds) +
           ",\"pushgwd_cpu_s_per_100k\":" + num(r.cpu_seconds / finished * 100000.0) +
           ",\"pushgwd_cpu_us_per_notification\":" + num(r.cpu_seconds / finished * 1e6);
    if (r.sys_cpu_seconds >= 0) out += ",\"pushgwd_sys_us_per_notification\":" + num(r.sys_cpu_seconds / finished * 1e6);
  }
  if (r.peak_rss_kb >= 0) out += ",\"peak_rss_kb\":" + std::to_string(r.peak_rss_kb);
  if (r.page_faults >= 0) out += ",\"pushgwd_page_faults\":" + std::to_string(r.page_faults);
  // Deferred store work (the send log's compaction, the last tally flush),
  // done after the run: with the run's CPU, the whole cost of tracking.
  if (r.settle_cpu_seconds >= 0 && finished > 0)
    out += ",\"settle_cpu_us_per_notification\":" + num(r.settle_cpu_seconds / finished * 1e6) +
           ",\"settle_seconds\":" + num(r.settle_seconds);
  // The sink's CPU per request and how many of its cores it kept busy: a
  // sink near a full core (nghttpd -n 1, or the sim) bounds the throughput.
  if (r.sink_cpu_seconds >= 0 && finished > 0)
    out += ",\"sink_cpu_us_per_request\":" + num(r.sink_cpu_seconds / finished * 1e6) +
           ",\"sink_cores_busy\":" + num(r.seconds > 0 ? r.sink_cpu_seconds / r.seconds : 0, 2);
  // Scheduler delay of pushgwd's threads (runnable, not running) per
  // notification: on a shared machine the part of latency that is not ours.
  if (r.run_delay_seconds >= 0 && finished > 0)
    out += ",\"pushgwd_run_delay_us_per_notification\":" + num(r.run_delay_seconds / finished * 1e6) +
           ",\"pushgwd_run_delay_s\":" + num(r.run_delay_seconds);
  out += ",\"latency_ms\":{\"p50\":" + num(r.lat_p50) + ",\"p90\":" + num(r.lat_p90) + ",\"p99\":" + num(r.lat_p99) +
         ",\"p99.9\":" + num(r.lat_p999) + "},\"gateway_latency_ms\":{\"p50\":" + num(r.gw_p50) +
         ",\"p99\":" + num(r.gw_p99) + ",\"p99.9\":" + num(r.gw_p999) + "}";
  // Where the gateway's share goes (see SenderStats): admitted -> taken by a
  // sender (queue), taken -> submitted (build), submitted -> on a stream
  // (stream_wait: the rest of the pass, then the provider's concurrency).
  if (!r.stages.empty()) {
    out += ",\"latency_split_ms\":{";
    for (size_t i = 0; i < r.stages.size(); ++i) {
      const Percentiles& q = r.stages[i].second;
      out += (i ? ",\"" : "\"") + r.stages[i].first + "\":{\"p50\":" + num(q.p50) + ",\"p99\":" + num(q.p99) +
             ",\"p99.9\":" + num(q.p999) + "}";
    }
    out += "}";
  }
  auto by_thread = [&](const char* field, const std::map<std::string, double>& m) {
    if (m.empty() || finished <= 0) return;
    out += std::string(",\"") + field + "\":{";
    bool first = true;
    for (const auto& [name, s] : m) {
      out += (first ? "\"" : ",\"") + name + "\":" + num(s / finished * 1e6);
      first = false;
    }
    out += "}";
  };
  by_thread("run_delay_us_per_notification_by_thread", r.run_delay_by_thread);
  by_thread("cpu_us_per_notification_by_thread", r.cpu_by_thread);
  if (h.ran) {
    const double h_cpu_us = h.requests ? h.cpu_seconds / static_cast<double>(h.requests) * 1e6 : 0;
    out += ",\"h2load\":{\"requests\":" + std::to_string(h.requests) + ",\"succeeded\":" + std::to_string(h.succeeded) +
           ",\"req_per_s\":" + num(h.req_per_s, 0) + ",\"cpu_seconds\":" + num(h.cpu_seconds) +
           ",\"cpu_s_per_100k\":" + num(h_cpu_us / 10.0) + ",\"cpu_us_per_request\":" + num(h_cpu_us);
    if (h.requests) out += ",\"sys_us_per_request\":" + num(h.sys_cpu_seconds / static_cast<double>(h.requests) * 1e6);
    if (h.sink_cpu_seconds >= 0 && h.requests > 0)
      out += ",\"sink_cpu_us_per_request\":" + num(h.sink_cpu_seconds / static_cast<double>(h.requests) * 1e6) +
             ",\"sink_cores_busy\":" + num(h.seconds > 0 ? h.sink_cpu_seconds / h.seconds : 0, 2);
    out += ",\"body_bytes\":" + std::to_string(h.body_bytes);
    if (h.gateway_cpu_seconds >= 0) out += ",\"pushgwd_cpu_seconds\":" + num(h.gateway_cpu_seconds);
    if (h.crypto_floor_us > 0) out += ",\"crypto_floor_us_per_message\":" + num(h.crypto_floor_us);
    if (h.rfc8291_floor_us > 0) out += ",\"rfc8291_floor_us_per_message\":" + num(h.rfc8291_floor_us);
    if (h.rfc8291_batched_floor_us > 0)
      out += ",\"rfc8291_batched_floor_us_per_message\":" + num(h.rfc8291_batched_floor_us);
    out += "}";
    if (r.cpu_seconds >= 0 && finished > 0 && h_cpu_us > 0) {
      const double g_us = r.cpu_seconds / finished * 1e6;
      out += ",\"ratio\":{\"cpu_per_message\":" + num(g_us / h_cpu_us) +
             ",\"throughput\":" + num(h.req_per_s > 0 ? rate / h.req_per_s : 0);
      // Web Push: against what any RFC 8291 sender pays (the crypto floor)
      // plus h2load's transport, the reference of issue 17 goal 3.
      if (h.crypto_floor_us > 0) out += ",\"cpu_vs_floor_plus_h2load\":" + num(g_us / (h.crypto_floor_us + h_cpu_us));
      if (h.rfc8291_floor_us > 0)
        out += ",\"cpu_vs_rfc8291_floor_plus_h2load\":" + num(g_us / (h.rfc8291_floor_us + h_cpu_us));
      if (h.rfc8291_batched_floor_us > 0)
        out += ",\"cpu_vs_rfc8291_batched_floor_plus_h2load\":" + num(g_us / (h.rfc8291_batched_floor_us + h_cpu_us));
      out += "}";
    }
  } else if (!h.error.empty()) {
    out += ",\"h2load_error\":\"" + h.error + "\"";
  }
  if (!r.error.empty()) out += ",\"error\":\"" + r.error + "\"";
  out += "}";
  return out;
}

std::string plot(const Options& o, const RunResult& r, const std::string& dir) {
  const std::string data = dir + "/timeline.dat";
  {
    std::ofstream f(data);
    double prev_t = 0;
    uint64_t prev = 0;
    for (const auto& s : r.timeline) {
      double dt = s.t - prev_t;
      if (dt > 0) f << s.t << " " << static_cast<double>(s.finished - prev) / dt << "\n";
      prev_t = s.t;
      prev = s.finished;
    }
  }
  const std::string script = dir + "/plot.gp";
  {
    std::ofstream g(script);
    g << "set terminal png size 1000,500\nset output '" << o.plot << "'\nset multiplot layout 1,2 title 'pushgw-bench'\n"
      << "set title 'throughput'\nset xlabel 's'\nset ylabel 'notifications/s'\nset grid\n"
      << "plot '" << data << "' using 1:2 with lines lw 2 title 'finished/s'\n"
      << "set title 'end-to-end latency (ms)'\nset style data histogram\nset style fill solid\nset xlabel ''\n"
      << "set ylabel 'ms'\nset yrange [0:*]\n"
      << "plot '-' using 2:xtic(1) title 'latency'\np50 " << r.lat_p50 << "\np90 " << r.lat_p90 << "\np99 "
      << r.lat_p99 << "\np99.9 " << r.lat_p999 << "\ne\nunset multiplot\n";
  }
  if (run_command("gnuplot " + script + " 2>/dev/null") != 0) return "gnuplot failed (apt-get install gnuplot-nox)";
  return "";
}

}  // namespace pushgw::bench
