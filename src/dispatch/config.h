// [delivery]: retries and connection timing of the sender threads. Parsed by
// dispatch; the daemon hands it to each Sender (SenderDeps::delivery).
#pragma once
#include "config/section.h"

namespace pushgw::dispatch {

struct DeliveryConfig {
  int max_attempts = 5;
  int max_retry_seconds = 300;
  int request_timeout_ms = 10000;
  int connect_timeout_ms = 5000;
  int ping_interval_ms = 60000;
  int idle_timeout_ms = 300000;
};

// Parses [delivery]; problems go to s.
DeliveryConfig parse_config(config::Section& s);

}  // namespace pushgw::dispatch
