// Everything dispatch needs to know about one configured app, indexed by
// Batch::app_id. Built by the daemon from the config; immutable afterwards.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pushgw/platform.h"
#include "pushgw/provider.h"

namespace pushgw::dispatch {

struct AppRuntime {
  uint16_t app_id = 0;
  Platform platform = Platform::Apns;
  std::string name;
  // Everything its config says (credentials included; never logged): a
  // reload keeps an app whose fingerprint is unchanged, with its pools.
  std::string fingerprint;
  int connections = 1;             // upper bound over all sender threads (per origin for Web Push)
  bool allow_http1 = false;        // Web Push services may speak only HTTP/1.1
  bool allow_private_endpoints = false;
  // Creates this app's provider for one sender thread (each thread owns its own).
  std::function<std::unique_ptr<Provider>()> make_provider;

  // Connections sender `thread` of `threads` may open to one origin of this app.
  int connections_for(int thread, int threads) const {
    int base = connections / threads, extra = connections % threads;
    return base + (thread < extra ? 1 : 0);
  }
  // Threads that serve this app: the first min(connections, threads).
  int serving_threads(int threads) const { return connections < threads ? connections : threads; }
};

using AppTable = std::vector<AppRuntime>;

}  // namespace pushgw::dispatch
