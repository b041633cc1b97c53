// The stats fields operators read beyond the contract's: "max_queued",
// "apps" (per-app counters and latency, read from the metric families so
// stats and /metrics never disagree) and "breakers".
#pragma once
#include <string>

namespace pushgw::metrics {
struct GatewayFamilies;
}

namespace pushgw::daemon {

class Gateway;

// Appends ,"max_queued":N,"apps":[...],"breakers":[...] to a stats answer
// being built. families may be null (no per-app counters then). Main loop.
void append_operator_stats(std::string& out, const Gateway& gateway, const metrics::GatewayFamilies* families);

}  // namespace pushgw::daemon
