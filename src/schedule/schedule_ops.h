// Ops on scheduled sends, registered by the schedule module itself:
//   "cancel"     every pending send of a schedule key;
//   "scheduled"  list them, one entry per recipient (limit, truncated);
//   "test_clock" (test hooks only) shift the scheduling clock.
// Store work runs on the store thread; answers come back to the loop.
#pragma once
#include "ingest/op_registry.h"
#include "pushgw/clock.h"
#include "schedule/scheduler.h"

namespace pushgw::schedule {

// test_clock: the clock "test_clock" moves (nullptr: the op is not registered).
void register_schedule_ops(ingest::OpRegistry& ops, Scheduler& scheduler, OffsetClock* test_clock);

}  // namespace pushgw::schedule
