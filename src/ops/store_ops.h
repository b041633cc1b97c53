// Ops answered from the token store, registered by this module:
//   "feedback"  the durable change-feed (since, limit);
//   "token"     one token's state and counts;
//   "forget"    lift a token's suppression and delete its row.
// Each handler parses its own fields; store reads run on the store thread and
// their answers go back through OpCall::later(). Without a store every op
// answers "unavailable".
#pragma once
#include <cstdint>
#include <functional>

#include "ingest/op_registry.h"
#include "ingest/source.h"
#include "pushgw/result.h"

namespace pushgw::store {
class Store;
}

namespace pushgw::ops {

void register_store_ops(ingest::OpRegistry& ops, store::Store* store);

// The change-feed for ingest sources (RequestSink::read_feedback): events
// written exactly as "feedback" writes them. cb runs on the store thread (on
// the caller's, at once, without a store: "unavailable").
void read_feedback(store::Store* store, uint64_t since, uint32_t limit,
                   std::function<void(Result<ingest::FeedbackPage>)> cb);

}  // namespace pushgw::ops
