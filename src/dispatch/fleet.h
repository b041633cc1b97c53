// The sender threads as one unit: Fleet owns the N dispatch::Senders, fills
// their rings (Lanes), brings their finished waited-for batches back to the
// main loop, stops them for the drain and sums their stats and heartbeats.
//
// Threading: every method runs on the main (ingest) loop thread. Senders ring
// one doorbell (a loop::Async owned here) from their threads when they freed
// ring space, finished a waited batch or stopped; the doorbell's callback runs
// on the main loop and calls, in order:
//   hooks.completed(batch)  for each finished waited batch (ownership passes),
//   hooks.room()            once per wake-up (ring space may have been freed),
//   stop()'s on_stopped     once, when every sender has stopped.
//
// Lifetime: the destructor joins the sender threads (they must have been
// asked to stop, or never started) before the doorbell closes.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dispatch/lanes.h"
#include "dispatch/latency.h"
#include "dispatch/sender.h"
#include "loop/async.h"
#include "pushgw/platform.h"

namespace pushgw::dispatch {

// The senders' counters, summed (stats op, STATUS=).
struct FleetStats {
  struct Outcomes {
    uint64_t delivered = 0, failed = 0, invalid = 0, unsubscribed = 0, suppressed = 0, retried = 0, capped = 0,
             expired = 0;
  };
  Outcomes platform[kPlatformCount];
  uint64_t connections = 0;
  uint64_t streams_in_flight = 0;
  uint64_t webpush_shed = 0;  // Web Push jobs ended for their origin's backlog (UntrustedBacklog)
  LatencySummary e2e, provider, gateway, queue, build, stream_wait;  // see SenderStats
  int workers = 0;
};

class Fleet final : public Lanes {
 public:
  struct Options {
    // Every sender's deps; index, threads, log (named "senderN" on the same
    // sink), ring_capacity (its share of max_queued), max_in_flight and
    // notify_ingest are set here.
    SenderDeps sender;
    int workers = 1;
    size_t max_queued = 0;  // [server] max_queued, shared by the rings
  };
  struct Hooks {
    std::function<void(Batch*)> completed;  // a waited-for batch is final
    std::function<void()> room;             // after each doorbell
  };

  Fleet(uv_loop_t* loop, Options opts, Hooks hooks);
  ~Fleet() override;
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  void start();

  // Lanes
  int count() const override { return static_cast<int>(senders_.size()); }
  size_t push(int lane, const SendJob* jobs, size_t n) override;
  void wake(int lane) override;
  size_t load() const override;
  size_t share() const override;

  // SIGHUP: the new app table, to every sender before any job names a new id.
  void update_apps(const std::shared_ptr<const AppTable>& apps);
  // A provider credential arrived: every sender sends what it parked for one.
  void credentials_changed();
  // Drain: every sender finishes what it holds, failing what is left at
  // deadline (monotonic ns) with reason "shutdown". on_stopped runs once
  // every sender has stopped and its last completions were handed on.
  void stop(int64_t deadline_mono_ns, std::function<void()> on_stopped);
  bool stopped() const;
  // Test hook (PUSHGW_TEST_HOOKS): blocks sender `index`'s loop for ms.
  // False when there is no such sender.
  bool test_stall(int64_t index, int64_t ms);

  FleetStats stats() const;
  uint64_t connections() const;
  uint64_t streams_in_flight() const;
  // Jobs in the rings plus jobs the senders hold (in flight, waiting to retry).
  uint64_t queued() const;
  // Every sender's breakers that ever opened (app ids of the current table).
  std::vector<BreakerView> breakers() const;
  // Each sender's loop-turn counter, named "senderN" (watchdog sources).
  std::vector<std::pair<std::string, const std::atomic<uint64_t>*>> heartbeats() const;

 private:
  void on_doorbell();
  void collect();

  Hooks hooks_;
  loop::Async doorbell_;  // before senders_: destroyed after they are joined
  std::vector<std::unique_ptr<Sender>> senders_;
  std::function<void()> on_stopped_;
  bool stopping_ = false;
};

}  // namespace pushgw::dispatch
