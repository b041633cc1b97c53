// Campaign policy at the door of a sender: marketing frequency caps.
//
// admit() runs once per recipient, for jobs fresh from the ingest ring
// (retries, held and parked jobs never come back here), so an admitted send
// is counted exactly once. Transactional sends, expired ones (the sender
// reports them) and known-dead tokens (the sender suppresses them) never
// touch the caps. An admitted marketing send is recorded in the store
// (Kind::MarketingSent) so the caps survive a restart. Loop thread only.
#pragma once
#include <cstdint>

#include "dispatch/cap_table.h"
#include "dispatch/outcome_sink.h"
#include "dispatch/thread_apps.h"
#include "pushgw/job.h"

namespace pushgw::store {
class Store;
}

namespace pushgw::dispatch {

class CapGate {
 public:
  // caps, store: optional. allow_override: [policy] allow_cap_override.
  CapGate(CapTable* caps, bool allow_override, const store::Store* store, const ThreadApps& apps, OutcomeSink& sink)
      : caps_(caps), allow_override_(allow_override), store_(store), apps_(apps), sink_(sink) {}

  // False when the job was finished here (Capped).
  bool admit(const SendJob& job, int64_t now_ms);

 private:
  CapTable* caps_;
  const bool allow_override_;
  const store::Store* store_;
  const ThreadApps& apps_;
  OutcomeSink& sink_;
};

}  // namespace pushgw::dispatch
