// Builds the request lines of a run and drives them through the socket.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "options.h"
#include "rig.h"

namespace pushgw::bench {

struct Sample {
  double t;            // seconds since start
  uint64_t finished;   // recipients with a final outcome
};

struct Percentiles {
  double p50 = 0, p99 = 0, p999 = 0;  // ms (pushgwd's histogram bucket bounds)
};

struct RunResult {
  uint64_t accepted = 0, delivered = 0, failed = 0, other = 0;
  double seconds = 0;
  double cpu_seconds = -1;      // pushgwd utime+stime during the run
  double sys_cpu_seconds = -1;  // of which stime
  int64_t peak_rss_kb = -1;
  int64_t page_faults = -1;  // pushgwd's minor page faults during the run
  double sink_cpu_seconds = -1;  // the sink's utime+stime during the run (-1: pid unknown)
  double run_delay_seconds = -1;  // pushgwd threads runnable but not running (scheduler delay)
  // --settle: pushgwd's CPU after the run until the store has written every
  // per-token send count into its rows (deferred work; -1 = not measured).
  double settle_cpu_seconds = -1, settle_seconds = -1;
  double lat_p50 = 0, lat_p90 = 0, lat_p99 = 0, lat_p999 = 0;        // e2e ms
  double gw_p50 = 0, gw_p99 = 0, gw_p999 = 0;                         // gateway-added ms
  // The gateway's share by stage, and the provider's (stats latency_ms:
  // queue, build, stream_wait, provider), in that order.
  std::vector<std::pair<std::string, Percentiles>> stages;
  // Scheduler delay per pushgwd thread name during the run (seconds).
  std::map<std::string, double> run_delay_by_thread;
  std::map<std::string, double> cpu_by_thread;  // on-CPU seconds per pushgwd thread name during the run
  std::vector<Sample> timeline;
  std::string error;
};

// The Web Push payload object of every notification (pushgwd encrypts it as
// is): {"title":TITLE,"body":"xx..."}, --payload-bytes long for "Hi there".
std::string webpush_payload(const Options& o, std::string_view title = "Hi there");

std::vector<std::string> build_requests(const Options& o, const Rig& rig);
RunResult drive(const Options& o, const Rig& rig, const std::vector<std::string>& lines);

}  // namespace pushgw::bench
