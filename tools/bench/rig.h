// Starts pushgw-sim (sink mode) and pushgwd with a generated config in a
// temporary directory, or attaches to a running pushgwd.
#pragma once
#include <sys/types.h>

#include <string>

#include "options.h"

namespace pushgw::bench {

struct Rig {
  std::string dir;
  std::string socket;
  pid_t daemon_pid = 0;
  pid_t sim_pid = 0;
  pid_t sink_pid = 0;         // whose CPU per request is reported (sim, or --sink-pid)
  std::string sink_url;       // https://127.0.0.1:PORT
  std::string sink_ca;        // CA file that verifies the sink
  std::string subscriptions;  // Web Push subscriptions file (sim-minted)
  std::string apns_token_prefix;  // nghttpd docroot tokens
};

// Returns "" on success or an error message.
std::string start_rig(const Options& o, Rig& rig);
void stop_rig(const Options& o, Rig& rig);
// Runs a command, returns its exit status (stdout/stderr to dir/log).
int run_command(const std::string& cmd);

}  // namespace pushgw::bench
