// Admission: a parsed "send" becomes queued work. It validates and expands
// the request (ingest::parse_send with the current apps and [policy] rules),
// lets the RequestTracker take the durability steps and answer, and queues
// the batches' recipients to the sender lanes in chunks, round-robin over
// the threads that serve each app.
//
// Store outage: while the store cannot commit, sends are answered
// "store_unavailable" and the source is not read; both resume by themselves
// once a commit succeeds again.
//
// Back-pressure: what does not fit the lanes waits in the backlog; while it
// is non-empty the socket stops reading (the contract's back-pressure) and
// may_submit() is false for the ingest source, which also waits for the
// lanes to be at most half full so socket clients still get in. pump() runs
// whenever the senders freed ring space (Fleet's room hook).
//
// Also the Intake of due scheduled rows (same path, never waited), and the
// first part of the drain: stop reading, then pump until the backlog is
// empty or the deadline has passed, when what is left fails "shutdown".
//
// Threading: the main loop thread only.
#pragma once
#include <uv.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "admission/clients.h"
#include "admission/request_tracker.h"
#include "dispatch/app_table.h"
#include "dispatch/lanes.h"
#include "ingest/request_parser.h"
#include "ingest/send.h"
#include "loop/timer.h"
#include "metrics/gateway_metrics.h"
#include "metrics/registry.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "schedule/intake.h"
#include "schedule/policy.h"
#include "schedule/scheduler.h"

namespace pushgw::admission {

struct AdmissionStats {
  std::array<uint64_t, kPlatformCount> accepted{};  // recipients accepted (suppressed ones included)
  uint64_t backlog = 0;                             // recipients waiting for room in the lanes
};

class Admission final : public schedule::Intake, public Admitter {
 public:
  static constexpr uint32_t kChunk = 256;  // recipients handed to one lane at a time

  struct Deps {
    uv_loop_t* loop = nullptr;
    dispatch::Lanes* lanes = nullptr;
    RequestTracker* tracker = nullptr;
    Clients* clients = nullptr;
    schedule::Scheduler* scheduler = nullptr;  // scheduling time (send_at, quiet hours)
    const schedule::Policy* policy = nullptr;
    const Clock* clock = nullptr;              // acceptance time, latency, the drain's deadline
    std::function<void(bool paused)> reading;  // the socket: pause_reading()/resume_reading()
    // True while the store cannot commit (an outage): sends are refused
    // "store_unavailable" (retry later) rather than piling up outcomes no
    // one can record. Empty: never.
    std::function<bool()> store_down;
    metrics::Registry* registry = nullptr;     // optional: pushgw_accepted_total, pushgw_rejected_total
    metrics::GatewayFamilies* families = nullptr;
    obs::Logger log;
    // True while the spool cannot write: sends are refused "spool_failed"
    // (nothing sent) rather than sent unjournaled, which a client retrying
    // the answer would duplicate. Empty: never.
    std::function<bool()> spool_down;
  };

  explicit Admission(Deps deps);
  ~Admission() override;
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // The app table the lanes serve and the directory requests are checked
  // against (replaced on reload; directory must outlive its use here).
  void set_apps(std::shared_ptr<const dispatch::AppTable> table, const ingest::AppDirectory* directory);

  // A "send" from a client: answered through Clients (at once for a
  // request-level error, else by the tracker); accepted recipients queued.
  void handle_send(uint64_t conn_id, const std::string& id_json, std::string_view line, simdjson::dom::element root);
  // parse_send() of a line with the current apps and rules, as of now_ms.
  Result<ingest::SendRequest> parse_line(std::string_view line, int64_t now_ms);

  // Admitter
  std::vector<Batch*> admit(ingest::SendRequest& req, uint64_t request_id, int64_t now_ms) override;
  // Queues b's recipients (spool replay: only those in `only`, counted accepted here).
  void enqueue(Batch* b, std::shared_ptr<const std::vector<uint32_t>> only = nullptr);
  void enqueue_replayed(Batch* b, std::shared_ptr<const std::vector<uint32_t>> only);
  void pump();

  // ingest::RequestSink::may_submit(): nothing in the backlog, senders at
  // most half full (their load against their shares), not draining, the
  // store not down.
  bool may_submit() const;
  // Drain: stop reading for good; done runs once the backlog is empty, or at
  // the deadline (monotonic ns) after what is left failed "shutdown".
  void drain(int64_t deadline_mono_ns, std::function<void()> done);

  // schedule::Intake
  bool has_room() const override { return backlog_.empty(); }
  void run_due(const store::ScheduledSend& row, schedule::RowSteps steps) override;

  AdmissionStats stats() const;

 private:
  struct BacklogItem {
    Batch* batch;
    uint32_t next;  // next recipient to queue (position in `only` when set)
    int rr;         // rotation among the app's serving lanes
    std::shared_ptr<const std::vector<uint32_t>> only;  // spool replay: just these recipients
    uint32_t total() const { return static_cast<uint32_t>(only ? only->size() : batch->recipients.size()); }
    uint32_t idx(uint32_t k) const { return only ? (*only)[k] : k; }
  };

  bool feed(BacklogItem& it);
  size_t push_chunk(BacklogItem& it, int lane, uint32_t n);
  void update_reading();
  void count_rejected(const ingest::SendRequest& req);
  bool refuse_for_store(uint64_t conn_id, const std::string& id_json);
  void on_drain_deadline();
  void fail_backlog();
  void finish_drain();

  Deps d_;
  std::shared_ptr<const dispatch::AppTable> apps_;
  const ingest::AppDirectory* directory_ = nullptr;
  ingest::RequestParser parser_;  // lines parsed here (scheduled rows, replay)
  std::unique_ptr<metrics::Shard> shard_;
  std::deque<BacklogItem> backlog_;
  std::vector<SendJob> scratch_;
  std::vector<uint8_t> touched_;  // lanes pushed to during this pump
  std::array<uint64_t, kPlatformCount> accepted_{};
  int rr_ = 0;
  bool paused_ = false;
  bool draining_ = false;
  bool store_refused_ = false;  // sends are being refused for a store outage (logged once each way)
  std::function<void()> drained_;
  loop::Timer deadline_;
};

}  // namespace pushgw::admission
