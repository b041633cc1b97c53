// Event retention ([store] keep_events_days): feedback events older than
// that are deleted, prune_chunk at a time. Between batches the Writer runs
// one chunk every prune_interval_ms (and again at once while chunks come back
// full, so a backlog never holds the thread for long); the prune op
// (Store::prune) runs it to completion. Store thread only.
#pragma once
#include <cstdint>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "pushgw/result.h"
#include "store/types.h"

namespace pushgw::store::detail {

class Backend;
struct Counters;

class EventRetention {
 public:
  EventRetention(const StoreOptions& opt, const Clock& clock, Counters& counters, obs::Logger log)
      : opt_(opt), clock_(clock), counters_(counters), log_(std::move(log)) {}

  // Outside a data transaction: one chunk, if one is due.
  void maybe_prune(Backend& db);
  // Every chunk now; the number of events removed.
  Result<uint64_t> prune_all(Backend& db);

 private:
  Result<uint64_t> prune_chunk(Backend& db, int64_t before_ms, uint32_t chunk);

  const StoreOptions& opt_;
  const Clock& clock_;
  Counters& counters_;
  obs::Logger log_;
  int64_t next_prune_ms_ = 0;
};

}  // namespace pushgw::store::detail
