// The "stats" op's answer and the systemd STATUS= line, assembled from each
// module's own stats: admission (accepted per platform, queue depth), the
// sender fleet (outcomes, connections, latency), the spool, the store and
// the ingest source (which writes its own object). The keys and their
// meaning are the contract's (interface.md "op stats" plus the README's
// extensions); integration tests read them.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/gateway_observe.h"
#include "dispatch/fleet.h"
#include "ingest/source.h"
#include "pushgw/platform.h"
#include "spool/spool.h"
#include "store/types.h"

namespace pushgw::daemon {

// One snapshot, taken on the loop thread.
struct StatsView {
  std::array<uint64_t, kPlatformCount> accepted{};  // recipients accepted (suppressed ones included)
  uint64_t queue_depth = 0;                         // accepted, not yet final (backlog, rings, senders)
  dispatch::FleetStats fleet;
  std::optional<spool::SpoolStats> spool;   // with a [spool]
  std::optional<store::StoreStats> store;   // with a store
  const ingest::Source* source = nullptr;   // [ingest.redis]
  // The operator's fields (max_queued, apps, breakers); none when null.
  const Observed* observed = nullptr;
  const metrics::GatewayFamilies* families = nullptr;
};

// {"id":..,"ok":true,"platforms":{..},"queue_depth":..,"connections":..,
//  "streams_in_flight":..,"latency_ms":{..},"workers":..[,"spool":{..}]
//  [,"store":{..}][,"max_queued":..,"apps":[..],"breakers":[..]][,"redis":{..}]}
std::string stats_json(std::string_view id_json, const StatsView& v);

// "accepted N, delivered N, failed N, queued N, connections N", and
// ", store unavailable: refusing sends" during a store outage.
std::string status_line(const StatsView& v);

}  // namespace pushgw::daemon
