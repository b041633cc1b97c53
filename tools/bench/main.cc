// pushgw-bench: end-to-end load driver for pushgwd. Starts (or attaches to)
// a daemon and a sink, offers load over the socket, and prints throughput,
// CPU per notification, peak RSS and latency percentiles as JSON;
// --vs-h2load measures h2load on the same sink in the same run.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>

#include "crypto_floor.h"
#include "h2load_run.h"
#include "options.h"
#include "proc_stats.h"
#include "report.h"
#include "rig.h"
#include "workload.h"

using namespace pushgw::bench;

int main(int argc, char** argv) {
  Options o;
  std::string err = parse_options(argc, argv, o);
  if (err == "help") {
    print_usage(stdout);
    return 0;
  }
  if (!err.empty()) {
    fprintf(stderr, "pushgw-bench: %s\n", err.c_str());
    print_usage(stderr);
    return 2;
  }
  if (!o.crypto_floor.empty()) {
    const long plain = o.crypto_floor == "asym" ? -1 : static_cast<long>(o.payload_bytes);
    const double us = webpush_crypto_floor_us(1, o.crypto_floor_n, plain, o.crypto_floor == "batched" ? 32 : 1);
    printf("{\"crypto_floor\":\"%s\",\"messages\":%d,\"plaintext_bytes\":%ld,\"us_per_message\":%.3f}\n",
           o.crypto_floor.c_str(), o.crypto_floor_n, plain, us);
    return us > 0 ? 0 : 1;
  }
  if (o.bin_dir.empty()) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string p = n > 0 ? std::string(self, static_cast<size_t>(n)) : "./pushgw-bench";
    o.bin_dir = p.substr(0, p.rfind('/'));
  }
  Rig rig;
  err = start_rig(o, rig);
  if (!err.empty()) {
    fprintf(stderr, "pushgw-bench: %s\n", err.c_str());
    stop_rig(o, rig);
    return 1;
  }
  auto lines = build_requests(o, rig);
  RunResult r = drive(o, rig, lines);
  H2loadResult h;
  if (o.vs_h2load) {
    const double gw0 = rig.daemon_pid ? process_cpu_seconds(rig.daemon_pid) : -1;
    h = run_h2load(o, rig, o.recipients);
    if (gw0 >= 0) h.gateway_cpu_seconds = process_cpu_seconds(rig.daemon_pid) - gw0;
    // Measured in the same run, seconds after h2load, like the ratio itself.
    if (h.ran && o.mix.size() == 1 && o.mix[0].platform == "webpush") {
      h.crypto_floor_us = webpush_crypto_floor_us();
      // The body is the 86-byte aes128gcm header, the plaintext, its
      // delimiter and the 16-byte tag.
      const long plain = static_cast<long>(h.body_bytes) - 86 - 1 - 16;
      h.rfc8291_floor_us = webpush_crypto_floor_us(5, 400, plain > 0 ? plain : 0);
      h.rfc8291_batched_floor_us = webpush_crypto_floor_us(5, 416, plain > 0 ? plain : 0, 32);
    }
  }
  if (!o.plot.empty()) {
    std::string perr = plot(o, r, rig.dir.empty() ? "/tmp" : rig.dir);
    if (!perr.empty()) fprintf(stderr, "pushgw-bench: %s\n", perr.c_str());
  }
  printf("%s\n", report_json(o, r, h).c_str());
  stop_rig(o, rig);
  return r.error.empty() && r.accepted == o.recipients ? 0 : 1;
}
