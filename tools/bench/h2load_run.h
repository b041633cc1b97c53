// Runs h2load against the same sink with the same connections, streams,
// headers and body as the gateway run, and measures its CPU time.
#pragma once
#include <cstdint>
#include <string>

#include "options.h"
#include "rig.h"

namespace pushgw::bench {

struct H2loadResult {
  bool ran = false;
  uint64_t requests = 0, succeeded = 0;
  double seconds = 0, req_per_s = 0, cpu_seconds = 0, sys_cpu_seconds = 0;
  double sink_cpu_seconds = -1;  // the sink's CPU during the h2load run (-1: pid unknown)
  size_t body_bytes = 0;         // the request body h2load sent
  double gateway_cpu_seconds = -1;  // pushgwd's CPU while h2load ran: ~0 for a clean reference
  double crypto_floor_us = -1;   // Web Push only: RFC 8291's asymmetric floor per message (crypto_floor.h)
  double rfc8291_floor_us = -1;  // ... and all of RFC 8291's crypto (HKDF, AES-GCM too)
  double rfc8291_batched_floor_us = -1;  // ... with key pairs made 32 at a time
  std::string error;
};

H2loadResult run_h2load(const Options& o, const Rig& rig, uint64_t requests);

}  // namespace pushgw::bench
