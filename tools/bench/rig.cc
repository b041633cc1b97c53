#include "rig.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace pushgw::bench {

int run_command(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

namespace {

pid_t spawn(const std::string& cmd, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string full = "exec " + cmd + " >>" + log + " 2>&1";
    execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

bool wait_for_file(const std::string& path, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && st.st_size > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool has(const Options& o, const char* p) {
  for (const auto& m : o.mix)
    if (m.platform == p && m.percent > 0) return true;
  return false;
}

}  // namespace

std::string start_rig(const Options& o, Rig& rig) {
  if (!o.start) {
    rig.socket = o.socket;
    rig.daemon_pid = o.pid;
    rig.sink_pid = o.sink_pid;
    return "";
  }
  char tmpl[] = "/tmp/pushgw-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return "mkdtemp failed";
  rig.dir = tmpl;
  const std::string& d = rig.dir;
  const std::string sim = o.bin_dir + "/pushgw-sim";
  const std::string log = d + "/setup.log";
  if (run_command(sim + " gen-ca --out " + d + "/pki >>" + log + " 2>&1") != 0) return "gen-ca failed (see " + log + ")";
  if (run_command(sim + " gen-apns-key --out " + d + "/apns.p8 >>" + log + " 2>&1") != 0) return "gen-apns-key failed";
  if (run_command(sim + " gen-vapid-key --out " + d + "/vapid.pem >>" + log + " 2>&1") != 0) return "gen-vapid-key failed";

  std::string sim_args = " serve --sink --listen 127.0.0.1:0 --admin 127.0.0.1:0 --cert " + d + "/pki/server.pem --key " +
                         d + "/pki/server.key --port-file " + d + "/sim.ports --max-streams " + std::to_string(o.streams) +
                         " --apns-key BENCHTEAM1:BENCHKEY01:" + d + "/apns.p8" +
                         (o.sim_args.empty() ? "" : " " + o.sim_args);
  rig.sim_pid = spawn(sim + sim_args, d + "/sim.log");
  if (!wait_for_file(d + "/sim.ports", 20)) return "pushgw-sim did not start (see " + d + "/sim.log)";
  int port = 0, aport = 0;
  {
    std::ifstream pf(d + "/sim.ports");
    pf >> port >> aport;
  }
  const std::string sim_url = "https://127.0.0.1:" + std::to_string(port);
  rig.sink_url = o.target == "sim" ? sim_url : o.target;
  rig.sink_ca = o.target == "sim" ? d + "/pki/ca.pem" : o.ca_file;
  rig.sink_pid = o.target == "sim" ? rig.sim_pid : o.sink_pid;

  if (has(o, "fcm")) {
    if (run_command(sim + " gen-service-account --out " + d + "/sa.json --project bench-project --token-uri " + sim_url +
                    "/token >>" + log + " 2>&1") != 0)
      return "gen-service-account failed";
  }
  if (has(o, "webpush")) {
    uint32_t n = o.distinct_tokens ? o.distinct_tokens : 1000;
    rig.subscriptions = d + "/subs.json";
    if (run_command(sim + " gen-subscriptions --count " + std::to_string(n) + " --endpoint-base " + sim_url +
                    "/wp/ --out " + rig.subscriptions + " >>" + log + " 2>&1") != 0)
      return "gen-subscriptions failed";
  }

  std::ofstream cfg(d + "/pushgw.toml");
  cfg << "[server]\nsocket = \"" << d << "/pushgw.sock\"\nsocket_mode = \"0600\"\nworkers = " << o.workers
      << "\nmax_queued = 1000000\n" << (o.server_config.empty() ? "" : o.server_config + "\n") << "\n[store]\npath = \"" << d << "/pushgw.db\"\n"
      << (o.track_sends < 0 ? "" : o.track_sends ? "track_sends = true\n" : "track_sends = false\n")
      << (o.send_log < 0 ? "" : o.send_log ? "send_log = true\n" : "send_log = false\n")
      << (o.store_config.empty() ? "" : o.store_config + "\n") << (o.spool.empty() ? "" : "\n[spool]\npath = \"" + d + "/spool\"\nfsync = \"" + o.spool + "\"\n")
      << "\n[metrics]\nlisten = \"\"\n\n[tls]\nca_file = \""
      << rig.sink_ca << "\"\n\n[log]\nlevel = \"warn\"\n\n";
  if (has(o, "apns"))
    cfg << "[[apns]]\napp = \"bench-ios\"\nteam_id = \"BENCHTEAM1\"\nkey_id = \"BENCHKEY01\"\nkey_file = \"" << d
        << "/apns.p8\"\ntopic = \"com.example.bench\"\nendpoint = \"" << rig.sink_url << "\"\nconnections = " << o.connections
        << "\n\n";
  if (has(o, "fcm"))
    cfg << "[[fcm]]\napp = \"bench-android\"\nservice_account = \"" << d << "/sa.json\"\nendpoint = \"" << sim_url
        << "\"\nconnections = " << o.connections << "\n\n";
  if (has(o, "webpush"))
    cfg << "[[webpush]]\napp = \"bench-web\"\nvapid_key_file = \"" << d
        << "/vapid.pem\"\nvapid_subject = \"mailto:bench@example.com\"\nconnections = " << o.connections
        << "\nallow_private_endpoints = true\nendpoint_ports = [" << port << "]\n\n";
  cfg.close();
  rig.socket = d + "/pushgw.sock";
  rig.daemon_pid = spawn(o.bin_dir + "/pushgwd --config " + d + "/pushgw.toml", d + "/pushgwd.log");
  // Up to 2 minutes: pushgwd under valgrind (bench/callgrind_per_notification.sh)
  // on a loaded machine takes that long.
  for (int i = 0; i < 2400; ++i) {
    struct stat st;
    if (stat(rig.socket.c_str(), &st) == 0) return "";
    int status;
    if (waitpid(rig.daemon_pid, &status, WNOHANG) == rig.daemon_pid) return "pushgwd exited (see " + d + "/pushgwd.log)";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "pushgwd did not create its socket";
}

void stop_rig(const Options& o, Rig& rig) {
  if (!o.start) return;
  if (rig.daemon_pid > 0) {
    kill(rig.daemon_pid, SIGTERM);
    waitpid(rig.daemon_pid, nullptr, 0);
  }
  if (rig.sim_pid > 0) {
    kill(rig.sim_pid, SIGTERM);
    waitpid(rig.sim_pid, nullptr, 0);
  }
  if (!o.keep && !rig.dir.empty()) run_command("rm -rf " + rig.dir);
}

}  // namespace pushgw::bench
