// `pushgw-sim serve`: loads credentials, builds the shared core, starts one
// worker loop per --threads (worker 0 on the calling thread, also hosting
// the admin server and signal handling) and runs until SIGINT/SIGTERM.
#pragma once
#include "cli.h"

namespace pushgw::sim {

// Returns the process exit code.
int run_serve(const ServeOptions& opts);

}  // namespace pushgw::sim
