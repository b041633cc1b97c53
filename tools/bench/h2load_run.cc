#include "h2load_run.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "proc_stats.h"

namespace pushgw::bench {

H2loadResult run_h2load(const Options& o, const Rig& rig, uint64_t requests) {
  H2loadResult r;
  const std::string body_path = rig.dir.empty() ? "/tmp/pushgw-bench-body.json" : rig.dir + "/h2load-body.json";
  {
    // The same APNs payload the gateway sends (title + padded body).
    std::string head = "{\"aps\":{\"alert\":{\"title\":\"Hi there\",\"body\":\"";
    std::string pad(o.payload_bytes > head.size() + 5 ? o.payload_bytes - head.size() - 5 : 0, 'x');
    std::ofstream(body_path) << head << pad << "\"}}}";
  }
  const std::string out_path = body_path + ".out";
  // A provider-token-sized bearer header, as the gateway sends one per request.
  const std::string bearer(180, 'j');
  std::vector<std::string> args = {
      "h2load", "-n", std::to_string(requests), "-c", std::to_string(o.connections), "-m", std::to_string(o.streams),
      "-t", "1", "-d", body_path,
      "-H", "authorization: bearer " + bearer,
      "-H", "apns-topic: com.example.bench", "-H", "apns-push-type: alert",
      "-H", "content-type: application/json",
      rig.sink_url + "/3/device/a1" + std::string(62, '0')};  // the first benchmark token
  auto t0 = std::chrono::steady_clock::now();
  const double sink0 = rig.sink_pid ? process_cpu_seconds(rig.sink_pid) : -1;
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = freopen(out_path.c_str(), "w", stdout);
    (void)f;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("h2load", argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink0 >= 0) r.sink_cpu_seconds = process_cpu_seconds(rig.sink_pid) - sink0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.error = "h2load failed (is nghttp2-client installed?)";
    return r;
  }
  r.ran = true;
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::ifstream in(out_path);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long total, started, done, ok;
    double secs, rps;
    char unit[8] = {0};
    // h2load prints "finished in 543.21ms, 92041.76 req/s" (or "1.23s", "950us").
    if (sscanf(line.c_str(), "finished in %lf%7[a-z], %lf req/s", &secs, unit, &rps) == 3) {
      const std::string u = unit;
      r.seconds = u == "ms" ? secs / 1e3 : u == "us" ? secs / 1e6 : secs;
      r.req_per_s = rps;
    }
    if (sscanf(line.c_str(), "requests: %llu total, %llu started, %llu done, %llu succeeded", &total, &started,
               &done, &ok) == 4) {
      r.requests = done;
      r.succeeded = ok;
    }
  }
  return r;
}

}  // namespace pushgw::bench
