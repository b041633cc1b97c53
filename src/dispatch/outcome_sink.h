// The one path of a recipient's final outcome. finish() is called exactly
// once per recipient, whatever ended it (a verdict, expiry, suppression, a
// cap, a give-up, shutdown); it decides per status what is recorded and does
// all of it:
//
//  - the durable spool: the recipient is marked done (coalesced ranges,
//    appended by flush() once the store has committed every record this
//    sender made before them: a kill -9 between the two must not leave a
//    recipient done in the spool whose verdict the store never got, or the
//    verdict and its feedback event are lost for good). While marks wait,
//    a 5 ms timer looks at the store's commit position;
//  - counting: SenderCounters::outcome (stats and /metrics);
//  - the store: the outcome record, when [store] track_sends, a verdict, a
//    failure or a campaign asks for one;
//  - the batch: the result slot of a waited request, and the batch's
//    completion when this was its last recipient (with a spool, handed back
//    once its done marks went to the spool, so an answered request is not
//    replayed after a crash).
//
// Back-pressure instead of waiting: when the store's ring for this sender is
// full, records go to a local overflow, kept in order (later records and the
// completions of waited batches queue behind it, so a client's after_commit
// still covers its outcomes). The overflow is retried every loop turn and on
// a short timer; while it is not empty, backpressured() tells the sender to
// take no new work (no ingest ring pops, no retries), so it grows by at most
// the requests already in flight. on_room runs when it has emptied. Outcomes
// waiting there are not yet visible to Store::check() (suppression), as they
// would not be while the store thread is behind anyway.
//
// Threads: the sender's loop thread only; completions() is the SPSC ring the
// ingest thread pops.
#pragma once
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/counters.h"
#include "dispatch/thread_apps.h"
#include "loop/timer.h"
#include "pushgw/clock.h"
#include "pushgw/job.h"
#include "queue/spsc_ring.h"
#include "spool/record.h"
#include "store/types.h"

namespace pushgw::store {
class Store;
}
namespace pushgw::spool {
class Spool;
}

namespace pushgw::dispatch {

struct OutcomeSinkDeps {
  int producer = 0;                    // this sender's ring in the store
  store::Store* store = nullptr;       // optional
  spool::Spool* spool = nullptr;       // optional
  bool track_sends = true;             // [store] track_sends
  const Clock* clock = nullptr;
  size_t completion_capacity = 1024;
  std::function<void()> notify_ingest;  // a waited batch completed (thread-safe, cheap)
};

class OutcomeSink {
 public:
  OutcomeSink(uv_loop_t* loop, OutcomeSinkDeps deps, const ThreadApps& apps, SenderCounters& counters,
              std::function<void()> on_room);
  ~OutcomeSink();  // frees completed batches nobody took
  OutcomeSink(const OutcomeSink&) = delete;
  OutcomeSink& operator=(const OutcomeSink&) = delete;

  // The recipient's final outcome. "shutdown" (a failure because the sender
  // stopped) is not final for the spool: the recipient is replayed at start.
  // provider_reason: the provider's reason when `reason` is the gateway's
  // own verdict on it (suspect_config). key: the token's Store::key() when
  // the sender has it (0: the store computes it if it needs it).
  void finish(const SendJob& job, Status st, std::string_view reason, int http_status = 0, std::string_view id = {},
              int64_t since_ms = 0, std::string_view provider_reason = {}, uint64_t key = 0);
  // A store record that is no outcome (a marketing send admitted under the
  // caps, a token reactivated), in order with the outcomes. Needs a store.
  void record(const Batch& b, uint32_t idx, store::Kind kind, int64_t since_ms, int64_t at_ms, uint64_t key = 0);

  bool backpressured() const { return overflow_count_ > 0; }
  // Every done mark reached the spool (none waits for the store's commit).
  bool spool_settled() const {
    return spool_done_.empty() && spool_marks_.empty() && turn_completions_.empty() && spool_written_wait_.empty();
  }
  // Shutdown with a store that does not commit: hands back the completions
  // that waited for done marks, without the marks (replayed after restart).
  void give_up_spool();
  // Done marks still waiting for the store (recipients).
  size_t spool_waiting() const { return spool_done_.size() + spool_waiting_.size(); }
  // Once per loop turn: retries the overflow, appends the spool's done marks,
  // hands completions that did not fit the ring.
  void flush();
  void flush_completions();
  queue::SpscRing<Batch*>& completions() { return completions_; }
  void close() {
    timer_.close();
    spool_timer_.close();
  }

 private:
  // A record the store ring had no room for (owned copies), or the
  // completion of a waited batch queued behind such records.
  struct Deferred {
    Batch* completed = nullptr;
    store::Outcome meta;  // platform, kind, times (its views are not used)
    std::string app, token, campaign, reason;

    void keep(const store::Outcome& o);
    store::Outcome view() const;
  };

  void store_record(const Batch& b, uint32_t idx, store::Kind kind, std::string_view reason, int64_t since_ms,
                    int64_t at_ms, uint64_t key);
  Deferred& defer();
  void flush_overflow();
  void complete(Batch* b);
  void hand_back(Batch* b);
  void deliver(Batch* b);
  void poll_spool();
  void deliver_written();
  void spool_done(const SendJob& job);
  void stage_spool_done();
  void release_spool_done();

  OutcomeSinkDeps d_;
  const ThreadApps& apps_;
  SenderCounters& counters_;
  std::function<void()> on_room_;
  queue::SpscRing<Batch*> completions_;
  std::vector<Batch*> completion_backlog_;  // completions that did not fit the ring yet
  std::vector<spool::DoneRange> spool_done_;     // this turn's marks (and those behind the overflow)
  // Marks waiting for the store's commit: spool_waiting_[0, end) may go once
  // Store::committed(producer) >= position, for each {position, end}.
  std::vector<spool::DoneRange> spool_waiting_;
  struct SpoolMark {
    uint64_t position;
    size_t end;
    std::vector<Batch*> completions;  // waited batches whose last mark is in it
  };
  std::deque<SpoolMark> spool_marks_;
  std::vector<Batch*> turn_completions_;  // completed since the last stage
  // Completions whose done marks went to the spool: handed back once the
  // spool wrote them (Spool::done_written() >= ticket), so an answered
  // request is not replayed after a kill -9.
  std::deque<std::pair<uint64_t, Batch*>> spool_written_wait_;
  std::vector<Deferred> overflow_;          // a ring: slots keep their string capacity
  size_t overflow_head_ = 0, overflow_count_ = 0;
  loop::Timer timer_;                       // retries the overflow while the store catches up
  loop::Timer spool_timer_;                 // looks at the store's commit while done marks wait
};

}  // namespace pushgw::dispatch
