// The daemon's own ops: "ping", "stats" (the snapshot comes from the
// caller; daemon/stats.h writes it) and, with test hooks, "test_stall"
// (block one sender's loop for a while: the watchdog test).
#pragma once
#include <functional>

#include "daemon/stats.h"
#include "dispatch/fleet.h"
#include "ingest/op_registry.h"

namespace pushgw::daemon {

// stall: the fleet "test_stall" acts on; nullptr without test hooks.
void register_admin_ops(ingest::OpRegistry& ops, std::function<StatsView()> stats, dispatch::Fleet* stall);

}  // namespace pushgw::daemon
