// Wires the scrape-time gauges (names in metrics/gateway_metrics.h) to the
// running daemon's parts. Every callback runs on the main loop, the
// scraping thread, and reads atomics or main-loop state only.
#pragma once
#include "metrics/registry.h"

namespace pushgw::store {
class Store;
}
namespace pushgw::spool {
class Spool;
}
namespace pushgw::systemd {
class Watchdog;
}

namespace pushgw::daemon {

class Observed;

// The objects must outlive the registry's last render.
// spool may be null (no [spool]: its gauges are not registered).
void register_daemon_metrics(metrics::Registry& r, const Observed& daemon, const store::Store& store,
                             const spool::Spool* spool);
void register_watchdog_metrics(metrics::Registry& r, const systemd::Watchdog& watchdog);

}  // namespace pushgw::daemon
