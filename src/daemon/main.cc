// pushgwd: parse arguments, load and check the config, then run the Daemon
// (daemon/daemon.h) until SIGTERM has drained.
#include <jemalloc/jemalloc.h>
#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "daemon/apps.h"
#include "daemon/daemon.h"
#include "schedule/policy.h"
#include "settings/settings.h"

// jemalloc's options, read at its first allocation; MALLOC_CONF in the
// environment is applied after them, so an operator can override any
// (MALLOC_CONF=thp:default,background_thread:false restores jemalloc's own
// defaults). Why (docs/performance.md, stop 28):
//  - thp:always: jemalloc's extents are backed by transparent huge pages
//    (madvise, so it works with the kernel's default "madvise" mode). A 300k
//    burst touches ~120 MB of fresh memory (batches, requests, the store's
//    tables): 32k page faults in 4 KiB pages, 5k in 2 MiB ones; on a VM a
//    fault costs several microseconds, and fewer TLB entries cover the random
//    lookups (suppression set, tallies). pushgwd CPU per APNs notification
//    4.0 -> ~3.0 us (with background_thread), the store thread's 0.82 -> ~0.4.
//  - metadata_thp:auto: the same for jemalloc's own metadata once it grows.
//  - background_thread:true: unused dirty pages are returned to the kernel
//    by jemalloc's own thread, not inline in a sender's or the store's
//    allocation, so an idle daemon still shrinks.
// The price: RSS rounds up to huge pages (peak of a 300k burst ~140 -> ~168
// MB); a kernel with THP "never" ignores the advice.
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:auto,background_thread:true";
}

namespace {

struct Args {
  std::string config = "/etc/pushgw/pushgw.toml";
  std::string socket;
  bool check = false;
  bool version = false;
};

// --help goes to stdout (exit 0), a usage error to stderr (exit 2).
void usage(FILE* out) {
  fprintf(out,
          "usage: pushgwd [--config FILE] [--socket PATH] [--check-config] [--version]\n"
          "  --config FILE    configuration (default /etc/pushgw/pushgw.toml)\n"
          "  --socket PATH    override server.socket\n"
          "  --check-config   validate the configuration and exit (0 = valid)\n"
          "  --version        print the version and exit\n"
          "  --help           print this help and exit\n");
}

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (s == "--config" || s == "-c") {
      if (!value(a.config)) return false;
    } else if (s.rfind("--config=", 0) == 0) {
      a.config = s.substr(9);
    } else if (s == "--socket") {
      if (!value(a.socket)) return false;
    } else if (s.rfind("--socket=", 0) == 0) {
      a.socket = s.substr(9);
    } else if (s == "--check-config") {
      a.check = true;
    } else if (s == "--version" || s == "-V") {
      a.version = true;
    } else if (s == "--help" || s == "-h") {
      usage(stdout);
      exit(0);
    } else {
      fprintf(stderr, "pushgwd: unknown argument '%s'\n", s.c_str());
      return false;
    }
  }
  return true;
}

// The config's apps (keys parsed) once its [policy] time zones are known
// to exist, or why not.
pushgw::Result<std::unique_ptr<pushgw::daemon::Apps>> check_config(const std::string& path,
                                                                   const pushgw::settings::Settings& cfg) {
  auto apps = pushgw::daemon::build_apps(cfg);
  if (!apps.ok()) return pushgw::make_error(apps.error().code, path + ": " + apps.error().message);
  // Quiet hours need default_tz to be a zone this machine has (tzdata).
  if (auto policy = pushgw::schedule::Policy::check(cfg.policy); !policy.ok())
    return pushgw::make_error(policy.error().code, path + ": " + policy.error().message);
  return std::move(apps.value());
}

}  // namespace

int main(int argc, char** argv) {
  // No core dumps (and no ptrace by other processes of our uid): the process
  // holds provider keys, VAPID keys and Web Push auth secrets. Before any is
  // read. The unit also sets LimitCORE=0.
  (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  Args args;
  if (!parse_args(argc, argv, args)) {
    usage(stderr);
    return 2;
  }
  if (args.version) {
    printf("pushgwd %s\n", PUSHGW_VERSION);
    return 0;
  }
  auto cfg = pushgw::settings::load(args.config);
  auto apps = cfg.ok() ? check_config(args.config, *cfg.value()) : cfg.error();
  if (!apps.ok()) {
    fprintf(stderr, "%s\n", apps.error().message.c_str());
    return 1;
  }
  if (args.check) {
    for (const auto& w : cfg.value()->warnings) fprintf(stderr, "warning: %s\n", w.c_str());
    printf("%s: ok\n", args.config.c_str());
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  const char* hooks = getenv("PUSHGW_TEST_HOOKS");
  pushgw::daemon::Options opts{args.config, args.socket, hooks != nullptr && std::string(hooks) == "1"};
  pushgw::obs::Logger log;
  {
    // Everything the daemon owns goes with it, in the order daemon.h declares.
    auto daemon = pushgw::daemon::Daemon::open(std::move(opts), cfg.value(), std::move(apps.value()));
    if (!daemon) return 1;
    daemon->run();
    log = daemon->log();
  }
  PGW_LOG(log, Info, "drained; exiting");
  return 0;
}
