#include "daemon/admin_ops.h"

#include <simdjson.h>

namespace pushgw::daemon {

void register_admin_ops(ingest::OpRegistry& ops, std::function<StatsView()> stats, dispatch::Fleet* stall) {
  ops.add("ping", [](const ingest::OpCall& call) { call.ok(); });
  ops.add("stats", [stats = std::move(stats)](const ingest::OpCall& call) {
    call.answer(stats_json(call.id_json, stats()));
  });
  if (stall == nullptr) return;
  ops.add("test_stall", [stall](const ingest::OpCall& call) {
    int64_t sender = 0, ms = 0;
    if (call.root["sender"].get_int64().get(sender) || call.root["ms"].get_int64().get(ms) ||
        !stall->test_stall(sender, ms))
      return call.fail("bad_request", "need sender and ms");
    call.ok();
  });
}

}  // namespace pushgw::daemon
