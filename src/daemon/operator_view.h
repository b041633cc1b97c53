// The running daemon as the operator's views read it (Observed: the stats
// answer's "max_queued", "apps", "breakers", "suspect" and the /metrics
// gauges), over the parts that hold each figure. Kept apart from Daemon so
// the composition root builds and wires, and this reads.
//
// Threading: the main loop thread (stats op, scrapes, STATUS=).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "admission/admission.h"
#include "daemon/apps.h"
#include "daemon/gateway_observe.h"
#include "dispatch/fleet.h"
#include "dispatch/suspect_guard.h"

namespace pushgw::daemon {

class OperatorView final : public Observed {
 public:
  // Every part must outlive the view. apps is the owner's pointer, read at
  // each call: a reload replaces the table it points to.
  struct Parts {
    const std::unique_ptr<Apps>& apps;
    const admission::Admission& admission;
    const dispatch::Fleet& fleet;
    const dispatch::SuspectGuard* suspect;  // may be null
    uint64_t max_queued;                    // [server] max_queued as started (a reload does not resize the rings)
  };

  explicit OperatorView(Parts parts) : p_(parts) {}

  uint64_t queue_depth() const override;
  uint64_t max_queued() const override { return p_.max_queued; }
  uint64_t connections() const override { return p_.fleet.connections(); }
  uint64_t streams_in_flight() const override { return p_.fleet.streams_in_flight(); }
  std::vector<std::pair<Platform, std::string>> app_names() const override;
  std::vector<OriginBreaker> breakers() const override;
  const dispatch::SuspectGuard* suspect_guard() const override { return p_.suspect; }

 private:
  Parts p_;
};

}  // namespace pushgw::daemon
