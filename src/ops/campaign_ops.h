// Campaign policy ops answered from the store, registered by this module:
//   "event"     engagement events (opens, clicks, conversions): one in the
//               request itself or an "events" array (at most 10000);
//   "campaign"  one campaign's counters and rates.
// Each handler parses its own fields; the store work runs on the store
// thread and answers through OpCall::later(). Without a store: "unavailable".
#pragma once
#include "ingest/op_registry.h"
#include "pushgw/clock.h"

namespace pushgw::store {
class Store;
}

namespace pushgw::ops {

// clock: an event without "at" happened now.
void register_campaign_ops(ingest::OpRegistry& ops, store::Store* store, const Clock& clock);

}  // namespace pushgw::ops
