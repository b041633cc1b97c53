#include "h2load_run.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "base/base64url.h"
#include "proc_stats.h"
#include "workload.h"

namespace pushgw::bench {

namespace {

// What h2load sends: the body, the request headers and the path of the
// gateway's requests on the benchmarked platform, so both clients put the
// same frames on the wire.
struct Shape {
  std::string body;
  std::vector<std::string> headers;  // "name: value"
  std::string path;
};

// The APNs request (also used for fcm and mixes): title + padded body, a
// provider-token-sized bearer header, the topic and push type.
Shape apns_shape(const Options& o) {
  std::string head = "{\"aps\":{\"alert\":{\"title\":\"Hi there\",\"body\":\"";
  std::string pad(o.payload_bytes > head.size() + 5 ? o.payload_bytes - head.size() - 5 : 0, 'x');
  return Shape{head + pad + "\"}}}",
               {"authorization: bearer " + std::string(180, 'j'), "apns-topic: com.example.bench",
                "apns-push-type: alert", "content-type: application/json"},
               "/3/device/a1" + std::string(62, '0')};  // the first benchmark token
}

// The Web Push request (RFC 8030/8291/8292) as pushgwd builds it: an
// aes128gcm body of the encrypted payload's size (86-byte header, payload,
// padding delimiter, 16-byte tag; its bytes do not matter to the sink), ttl,
// content-encoding, content-type and a VAPID authorization of the real
// length and form (a JWT for this origin with the bench's subject, and a
// 65-byte public key; the sink checks no signature).
Shape webpush_shape(const Options& o, const Rig& rig) {
  const std::string claims = "{\"aud\":\"" + rig.sink_url + "\",\"exp\":" +
                             std::to_string(std::time(nullptr) + 12 * 3600) +
                             ",\"sub\":\"mailto:bench@example.com\"}";
  const std::string jwt = base::base64url_encode(R"({"typ":"JWT","alg":"ES256"})") + "." +
                          base::base64url_encode(claims) + "." + base::base64url_encode(std::string(64, '\x5a'));
  const std::string key = base::base64url_encode("\x04" + std::string(64, '\x33'));
  std::string body(86 + webpush_payload(o).size() + 1 + 16, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return Shape{std::move(body),
               {"ttl: 3600", "content-encoding: aes128gcm", "content-type: application/octet-stream",
                "authorization: vapid t=" + jwt + ", k=" + key},
               "/wp/sub-0"};  // the first benchmark subscription
}

}  // namespace

H2loadResult run_h2load(const Options& o, const Rig& rig, uint64_t requests) {
  H2loadResult r;
  const bool webpush = o.mix.size() == 1 && o.mix[0].platform == "webpush";
  const Shape shape = webpush ? webpush_shape(o, rig) : apns_shape(o);
  const std::string body_path = rig.dir.empty() ? "/tmp/pushgw-bench-body.bin" : rig.dir + "/h2load-body.bin";
  std::ofstream(body_path, std::ios::binary) << shape.body;
  r.body_bytes = shape.body.size();
  const std::string out_path = body_path + ".out";
  std::vector<std::string> args = {
      "h2load", "-n", std::to_string(requests), "-c", std::to_string(o.connections), "-m", std::to_string(o.streams),
      "-t", "1", "-d", body_path};
  for (const auto& h : shape.headers) {
    args.push_back("-H");
    args.push_back(h);
  }
  args.push_back(rig.sink_url + shape.path);
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
  r.sys_cpu_seconds = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
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
