// A sender thread's Prometheus cells. Counters for the common case
// (delivered, per app) are resolved once; other (outcome, reason) pairs are
// looked up in the thread's own shard, which allocates only the first time a
// label set is seen. Null families: metrics off, every call is a no-op.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dispatch/app_table.h"
#include "metrics/gateway_metrics.h"
#include "metrics/registry.h"
#include "pushgw/platform.h"

namespace pushgw::dispatch {

class SenderMetrics {
 public:
  SenderMetrics(metrics::Registry* registry, metrics::GatewayFamilies* families, const AppTable& apps);

  void outcome(const AppRuntime& app, Status st, std::string_view reason);
  void retry(const AppRuntime& app, std::string_view reason);
  void provider_latency(const AppRuntime& app, double seconds);
  void gateway_latency(const AppRuntime& app, double seconds);
  // New apps after a reload.
  void grow(const AppTable& apps);

 private:
  struct PerApp {
    metrics::Counter* delivered = nullptr;
    metrics::Histogram* provider = nullptr;
    metrics::Histogram* gateway = nullptr;
  };
  std::unique_ptr<metrics::Shard> shard_;
  metrics::GatewayFamilies* fam_ = nullptr;
  std::vector<PerApp> apps_;
};

}  // namespace pushgw::dispatch
