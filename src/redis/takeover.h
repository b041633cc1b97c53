// The consumer group's housekeeping for one StreamSource (internal to it):
//  - takeover: entries pending on a dead consumer for claim_idle_ms are
//    XAUTOCLAIMed here, a page every claim_idle_ms/2 and then page after page
//    while the gateway has room;
//  - dead letters: an entry delivered max_deliveries times without finishing
//    is acknowledged unsent, with a result entry saying why (XPENDING before
//    each takeover page, and before the source reads its own pending list);
//  - tidying: every minute, consumers with nothing pending that have been
//    idle for 10 x max(claim_idle_ms, block_ms) are deleted.
// Entries taken over go to the owner (take), which submits them like any
// other; what is dead-lettered goes through the ledger.
//
// Threading: loop thread only.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/source.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "redis/config.h"
#include "redis/entry_ledger.h"
#include "redis/stream_reply.h"

namespace pushgw::redis {

class Takeover {
 public:
  struct Deps {
    const RedisIngestConfig& cfg;
    const std::string& consumer;
    ingest::RequestSink& sink;       // may_submit(): takes over only while the gateway has room
    EntryLedger& ledger;
    SourceStats& stats;              // dead_lettered
    EntryLedger::Send command;       // on the command connection, counted by the owner
    std::function<bool()> ready;     // the group exists and the command connection is up
    std::function<bool(const redisReply*)> group_missing;  // true: the owner recreates the group
    std::function<void(const std::vector<StreamEntry>&)> take;  // entries claimed here
    std::string& count;              // COUNT of the next read (shared with the owner's reads)
    bool results;                    // report dead letters on the results stream
    obs::Logger log;
  };

  Takeover(uv_loop_t* loop, Deps deps);
  Takeover(const Takeover&) = delete;
  Takeover& operator=(const Takeover&) = delete;

  void start();
  // Takes over nothing more (SIGTERM).
  void stop();
  void close();
  // The gateway has room again: go on with a scan left mid-way.
  void resume();

  // XPENDING from start (idle at least idle_ms; only this consumer's when
  // own): entries delivered max_deliveries times are dead-lettered; then
  // next runs (also when the command could not be sent).
  void sweep_poison(std::string_view start, uint64_t idle_ms, bool own, std::function<void()> next);

 private:
  // One page of the takeover scan: poison entries out first, then XAUTOCLAIM.
  void page();
  void autoclaim();
  void tidy_consumers();
  bool may_claim() const { return !stopped_ && !claiming_ && d_.ready() && d_.sink.may_submit(); }

  Deps d_;
  loop::Timer claim_timer_, tidy_timer_;
  std::string cursor_ = "0-0";  // where the takeover scan goes on ("0-0" = a new scan)
  std::string idle_str_;
  bool claiming_ = false;
  bool stopped_ = false;
};

}  // namespace pushgw::redis
