#include "options.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pushgw::bench {

void print_usage(FILE* out) {
  fprintf(out,
          "usage: pushgw-bench [options]\n"
          "  --start                 start pushgw-sim (sink) and pushgwd with a generated config (default)\n"
          "  --socket PATH [--pid N] drive a running pushgwd instead (CPU/RSS need --pid)\n"
          "  --target sim|URL        with --start: the sink (default sim --sink); URL = https://host:port of any\n"
          "                          200-OK HTTP/2 sink, e.g. nghttpd serving files at /3/device/<token>\n"
          "  --ca FILE               CA certificate of a non-sim target\n"
          "  --sink-pid N            pid of that target (or of the sink with --socket): report its CPU per request\n"
          "                          (with the sim it is measured by itself), so a sink-bound run shows as one\n"
          "  --platform P            apns | fcm | webpush | mix: apns:70,fcm:20,webpush:10 (default apns)\n"
          "  --recipients N          total recipients (default 100000)\n"
          "  --batch N               recipients per request (default 1000)\n"
          "  --payload-bytes N       payload size (default 120)\n"
          "  --distinct-tokens N     reuse N tokens (default: all distinct)\n"
          "  --personalize           one {{name}} var per recipient\n"
          "  --connections N         connections per app (default 4)\n"
          "  --streams N             streams per connection for the sink and h2load -m (default 100)\n"
          "  --workers N             pushgwd sender threads (default 0 = one per core)\n"
          "  --track-sends 0|1       set [store] track_sends in the generated config (default: pushgwd's)\n"
          "  --send-log 0|1          set [store] send_log (SQLite: flushes append to the send log; default: pushgwd's)\n"
          "  --store-config \"K = V\"  more [store] lines, e.g. \"send_log_idle_ms = 600000\"\n"
          "  --server-config \"K = V\" more [server] lines, e.g. \"latency_slice_us = 0\"\n"
          "  --stats-ms N            poll pushgwd's stats every N ms during the run (default 50; a poll costs\n"
          "                          pushgwd work, so a run under valgrind scales it with valgrind's slowdown)\n"
          "  --settle                after the run, wait until the store has written every send count into its\n"
          "                          rows and report that CPU (settle_cpu_us_per_notification)\n"
          "  --spool MODE            add a [spool] with fsync = MODE (batch|always|off; default none)\n"
          "  --rate R                open loop: offer R recipients/s (default 0 = closed loop, max throughput)\n"
          "  --vs-h2load             also run h2load on the same sink, connections, streams, headers and body\n"
          "                          (webpush: an aes128gcm body of the encrypted size, ttl, VAPID authorization;\n"
          "                          also h2load.crypto_floor_us_per_message, the RFC 8291 keygen + ECDH floor,\n"
          "                          and ratio.cpu_vs_floor_plus_h2load). With tracking on it implies --settle:\n"
          "                          h2load runs only once pushgwd's deferred store work is done (it would\n"
          "                          take CPU from h2load); h2load.pushgwd_cpu_seconds shows what pushgwd used\n"
          "                          while h2load ran\n"
          "  --crypto-floor KIND:N   run no gateway: only the Web Push crypto floor KIND (asym, rfc8291 or\n"
          "                          batched: RFC 8291 with key pairs made 32 at a time) for N messages of\n"
          "                          --payload-bytes, one round (for callgrind: the difference of two N)\n"
          "  --plot FILE.png         plot throughput and latency with gnuplot\n"
          "  --bin-dir DIR           where pushgwd and pushgw-sim are (default: beside pushgw-bench)\n"
          "  --sim-args \"ARGS\"      extra pushgw-sim arguments, e.g. \"--fault stall\" or \"--slow-ms 50\"\n"
          "  --keep                  keep the temporary directory\n"
          "  -h, --help              this help\n"
          "Output: one JSON object on stdout.\n");
}

namespace {
bool parse_mix(std::string_view s, std::vector<PlatformShare>& out) {
  out.clear();
  if (s == "apns" || s == "fcm" || s == "webpush") {
    out.push_back({std::string(s), 100});
    return true;
  }
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    size_t colon = part.find(':');
    if (colon == std::string_view::npos) return false;
    PlatformShare p{std::string(part.substr(0, colon)), atoi(std::string(part.substr(colon + 1)).c_str())};
    if (p.platform != "apns" && p.platform != "fcm" && p.platform != "webpush") return false;
    out.push_back(p);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return !out.empty();
}
}  // namespace

std::string parse_options(int argc, char** argv, Options& o) {
  bool socket_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--help" || a == "-h") return "help";
    if (a == "--start") o.start = true;
    else if (a == "--personalize") o.personalize = true;
    else if (a == "--vs-h2load") o.vs_h2load = true;
    else if (a == "--keep") o.keep = true;
    else if (a == "--settle") o.settle = true;
    else if (!(v = next())) return std::string("missing value for ") + std::string(a);
    else if (a == "--socket") o.socket = v, socket_given = true;
    else if (a == "--pid") o.pid = atoi(v);
    else if (a == "--sink-pid") o.sink_pid = atoi(v);
    else if (a == "--target") o.target = v;
    else if (a == "--ca") o.ca_file = v;
    else if (a == "--platform") {
      if (!parse_mix(v, o.mix)) return "bad --platform";
    } else if (a == "--recipients") o.recipients = strtoull(v, nullptr, 10);
    else if (a == "--batch") o.batch = static_cast<uint32_t>(atoi(v));
    else if (a == "--payload-bytes") o.payload_bytes = static_cast<uint32_t>(atoi(v));
    else if (a == "--distinct-tokens") o.distinct_tokens = static_cast<uint32_t>(atoi(v));
    else if (a == "--connections") o.connections = atoi(v);
    else if (a == "--streams") o.streams = atoi(v);
    else if (a == "--workers") o.workers = atoi(v);
    else if (a == "--track-sends") o.track_sends = atoi(v) != 0 ? 1 : 0;
    else if (a == "--send-log") o.send_log = atoi(v) != 0 ? 1 : 0;
    else if (a == "--store-config") o.store_config = v;
    else if (a == "--stats-ms") o.stats_ms = atoi(v);
    else if (a == "--server-config") o.server_config = v;
    else if (a == "--spool") {
      o.spool = v;
      if (o.spool == "none") o.spool.clear();
      else if (o.spool != "batch" && o.spool != "always" && o.spool != "off") return "bad --spool (none|batch|always|off)";
    }
    else if (a == "--rate") o.rate = atof(v);
    else if (a == "--plot") o.plot = v;
    else if (a == "--crypto-floor") {
      std::string_view f = v;
      const size_t colon = f.find(':');
      if (colon != std::string_view::npos) o.crypto_floor_n = atoi(v + colon + 1);
      o.crypto_floor.assign(f.substr(0, colon));
      if ((o.crypto_floor != "asym" && o.crypto_floor != "rfc8291" && o.crypto_floor != "batched") ||
          o.crypto_floor_n <= 0)
        return "bad --crypto-floor (asym|rfc8291|batched):N";
    }
    else if (a == "--bin-dir") o.bin_dir = v;
    else if (a == "--sim-args") o.sim_args = v;
    else return "unknown option " + std::string(a);
  }
  if (!socket_given) o.start = true;
  // The send log's compaction runs when the store goes idle, i.e. right
  // after the run: during h2load's turn it would take CPU from h2load and
  // flatter the ratios (stop 27: h2load 170k/s instead of 255k/s).
  if (o.vs_h2load && o.track_sends != 0) o.settle = true;
  if (o.batch == 0 || o.recipients == 0) return "--batch and --recipients must be > 0";
  if (o.stats_ms <= 0) return "--stats-ms must be > 0";
  if (o.target != "sim" && o.target.rfind("https://", 0) != 0) return "--target must be sim or https://host:port";
  if (o.target != "sim" && o.ca_file.empty()) return "--target URL needs --ca";
  return "";
}

}  // namespace pushgw::bench
