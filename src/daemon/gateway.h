// The ingest side of the daemon: owns the socket server, the sender threads
// and the requests that wait for results. Runs on the main libuv loop.
//
// Flow: a request line is parsed; a "send" is validated and expanded into
// Batches; their recipients are pushed to the senders' rings in chunks
// (backlog_ holds what did not fit: while it is non-empty the server stops
// reading, which is the back-pressure the contract promises). Senders hand
// back finished waited-for batches; once every batch of a request is final
// (and the store has committed its verdicts) the response is written.
//
// Campaign policy (gateway_schedule.cc): recipients ingest defers ("send_at",
// quiet hours) are stored as scheduled sends before the request is answered;
// a timer on this loop claims them from the store when due and feeds them
// back through the same path as a socket request.
#pragma once
#include <uv.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/apps.h"
#include "dispatch/sender.h"
#include "ingest/request_parser.h"
#include "ingest/send.h"
#include "ingest/server.h"
#include "ingest/source.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "settings/settings.h"
#include "tz/quiet_window.h"
#include "tz/zone_cache.h"

namespace pushgw::store {
class Store;
struct ClaimedSends;
struct ScheduledSend;
}
namespace pushgw::spool {
class Spool;
struct Unfinished;
}

namespace pushgw::daemon {

class Gateway final : public ingest::Server::Handler, public ingest::RequestSink {
 public:
  struct Deps {
    uv_loop_t* loop = nullptr;
    std::shared_ptr<const settings::Settings> config;
    std::unique_ptr<Apps> apps;
    std::shared_ptr<net::TlsContext> tls;
    store::Store* store = nullptr;
    dispatch::CapTable* caps = nullptr;  // [policy] marketing frequency caps (owned by main)
    dispatch::SuspectGuard* suspect = nullptr;  // the suspect-app guard (owned by main)
    spool::Spool* spool = nullptr;  // optional: journal sends before acking, mark final outcomes done
    const Clock* clock = nullptr;
    std::shared_ptr<obs::LogSink> log_sink;
    int workers = 1;
    metrics::Registry* registry = nullptr;
    metrics::GatewayFamilies* families = nullptr;
    bool test_hooks = false;  // PUSHGW_TEST_HOOKS=1: enables ops "test_stall" and "test_clock"
    // What "send_at", quiet hours and due times are decided against (nullptr:
    // clock). With test hooks main passes test_clock, which op "test_clock"
    // shifts; senders, the store and credentials keep `clock`.
    const Clock* schedule_clock = nullptr;
    OffsetClock* test_clock = nullptr;
  };
  // [policy] quiet_hours and default_tz as the gateway applies them (the
  // zone must exist under /usr/share/zoneinfo). Error "bad_policy".
  static Result<void> check_policy(const settings::Settings& cfg);
  explicit Gateway(Deps deps);
  ~Gateway() override;

  Result<void> listen(const std::string& socket_path, uint32_t mode);
  Result<void> adopt_socket(int fd);
  // Before start(): re-enqueue what the spool found unfinished (their
  // not-yet-done recipients only) and journal them again. Returns how many
  // recipients were queued (gateway_replay.cc).
  size_t replay(std::vector<spool::Unfinished> items);
  void start();
  // SIGHUP: apply a validated config. Unchanged apps keep their ids, providers
  // and open connections; new/changed apps get new ids; in-flight sends are
  // untouched. Returns the FCM credentials of new apps (for the refresher).
  // [server] settings other than the apps take effect at restart.
  Result<std::vector<FcmCredential>> reload(std::shared_ptr<const settings::Settings> cfg);
  // SIGTERM: stop reading, drain for up to drain_seconds, then call done.
  void shutdown(std::function<void()> done);

  // Server::Handler
  void on_line(uint64_t conn_id, std::string_view line) override;
  void on_too_long(uint64_t conn_id) override;
  void on_close(uint64_t conn_id) override;

  // Ingest sources beside the socket (Redis Streams, gateway_source.cc):
  // their requests take the same path as socket lines; answers go back to
  // the source instead of a connection. One source; attach before start().
  void attach_source(ingest::Source* source) { source_ = source; }
  // ingest::RequestSink
  bool may_submit() const override;
  void submit(uint64_t tag, std::string_view line) override;
  void read_feedback(uint64_t since, uint32_t limit,
                     std::function<void(Result<ingest::FeedbackPage>)> cb) override;

  std::string stats_json(std::string_view id_json) const;
  uint64_t queue_depth() const;
  uint64_t connections() const;
  uint64_t streams_in_flight() const;
  // Loop-turn counters of every sender (watchdog sources).
  std::vector<const std::atomic<uint64_t>*> sender_heartbeats() const;
  // One-line live summary for systemd STATUS=.
  std::string status_line() const;

  // For the operator's view (gateway_observe.cc, daemon_metrics.cc): stats
  // fields and metrics beyond the contract's. [server] max_queued as started
  // (a reload does not resize the rings).
  uint64_t max_queued() const { return max_queued_; }
  struct OriginBreaker {
    Platform platform;
    std::string app;
    dispatch::BreakerView view;
  };
  // Every sender's breakers that ever opened, named by platform and app.
  std::vector<OriginBreaker> breakers() const;
  // Each configured (platform, app) once, sorted; apps a reload removed stay.
  std::vector<std::pair<Platform, std::string>> app_names() const;
  // The suspect-app guard (stats "suspect", pushgw_app_suspect); may be null.
  const dispatch::SuspectGuard* suspect_guard() const { return d_.suspect; }

 private:
  struct Waiting {
    uint64_t conn_id = 0;
    std::string id_json;
    uint32_t accepted = 0;
    std::vector<ingest::Rejection> rejected;  // the first ones listed
    uint64_t rejected_total = 0;
    std::vector<Batch*> batches;
    size_t remaining = 0;  // batches not final, plus 1 while deferred recipients are being stored
    std::vector<ingest::Deferred> deferred;  // answered at once as "scheduled"
    std::vector<int64_t> deferred_ids;       // their rows
    std::string deferred_error;              // the store could not keep them
  };
  // A wait:false answer held until what it acknowledges is durable: the
  // spool record and/or the stored scheduled sends.
  struct Ack {
    uint64_t conn_id = 0;
    std::string id_json;
    std::string head;        // the response without its closing brace
    int waits = 0;           // durability steps outstanding
    bool spool_failed = false;
    std::string store_error; // non-empty: the scheduled sends were not stored
  };
  struct BacklogItem {
    Batch* batch;
    uint32_t next;   // next recipient to enqueue (position in `only` when set)
    int rr;          // rotation among the app's serving threads
    std::shared_ptr<const std::vector<uint32_t>> only = nullptr;  // spool replay: just these recipients
    uint32_t total() const { return static_cast<uint32_t>(only ? only->size() : batch->recipients.size()); }
    uint32_t idx(uint32_t k) const { return only ? (*only)[k] : k; }
  };

  // Source requests use connection ids with this bit set (socket ids count up from 1).
  static constexpr uint64_t kSourceConn = uint64_t{1} << 63;
  static bool from_source(uint64_t conn_id) { return (conn_id & kSourceConn) != 0; }
  // Answers a request: to its socket connection, or to the source as `kind`.
  void reply(uint64_t conn_id, std::string line, ingest::Answer kind);
  // A waited source request is done: Final, or Interrupted by the drain.
  void answer_source(const Waiting& w, std::string line);

  void handle_send(uint64_t conn_id, const std::string& id_json, std::string_view line);
  void handle_op(uint64_t conn_id, std::string_view op, const std::string& id_json);
  // Campaign policy ops "event" and "campaign" (gateway_campaign_ops.cc).
  void handle_campaign_op(uint64_t conn_id, std::string_view op, const std::string& id_json);
  void enqueue(Batch* b);
  void pump();
  void on_senders_notified();
  void batch_done(Batch* b);
  void request_done(uint64_t request_id);
  // One step of a waited request is done (a batch final, or its deferred
  // recipients stored); at the last, its answer follows the verdicts' commit.
  void waiting_step(uint64_t request_id);
  void ack_step(const std::shared_ptr<Ack>& a);
  // The spool record's entries: batches ingest already finished (expired
  // while scheduled) are not journaled.
  static std::vector<spool::BatchCount> journal_counts(const ingest::SendRequest& req);
  // Sets what ingest leaves to the caller on a request's batches and counts
  // them accepted; the caller enqueues them.
  std::vector<Batch*> admit(ingest::SendRequest& req, uint64_t request_id, int64_t now_ms);

  // Campaign policy: scheduled sends (gateway_schedule.cc).
  int64_t schedule_now() const { return (d_.schedule_clock ? d_.schedule_clock : d_.clock)->now_ms(); }
  void apply_policy(const settings::Settings& cfg);
  // Stores deferred recipients as rows whose ids derive from parent (so a
  // retried insert is a no-op); done runs on the loop once they are durable.
  // Returns the row ids, in order.
  std::vector<int64_t> store_deferred(std::vector<ingest::Deferred>& deferred, uint64_t parent,
                                      const std::string& campaign, std::function<void(Result<void>)> done);
  void note_due(int64_t due_ms);
  void arm_schedule_timer();
  void on_schedule_timer();
  void on_claimed(Result<store::ClaimedSends>& claimed);
  void run_due(const store::ScheduledSend& row);
  // Ops "cancel", "scheduled" and (test hooks) "test_clock" (gateway_schedule_ops.cc).
  void handle_schedule_op(uint64_t conn_id, std::string_view op, const std::string& id_json);
  void respond_waiting(Waiting& w);
  void check_shutdown();
  void fail_backlog_for_shutdown();
  void post_to_loop(std::function<void()> fn);
  void run_posted();

  Deps d_;
  obs::Logger log_;
  std::unique_ptr<ingest::Server> server_;
  ingest::Source* source_ = nullptr;
  std::unique_ptr<metrics::Shard> shard_;  // ingest-side counters (accepted, rejected)
  ingest::RequestParser parser_;
  std::vector<std::unique_ptr<dispatch::Sender>> senders_;
  std::deque<BacklogItem> backlog_;
  std::vector<SendJob> scratch_;
  std::vector<uint8_t> touched_;
  std::unordered_map<uint64_t, Waiting> waiting_;
  uint64_t next_request_id_ = 1;
  uint64_t acks_pending_ = 0;  // wait:false answers waiting for the spool's group commit or the store
  uint64_t accepted_[kPlatformCount] = {0, 0, 0};
  uint64_t max_queued_ = 0;
  bool reading_paused_ = false;
  int rr_ = 0;

  uv_async_t notify_{};        // senders -> ingest doorbell
  uv_timer_t shutdown_timer_{};
  std::mutex posted_mu_;       // store thread -> loop handoff (once per waited request)
  std::vector<std::function<void()>> posted_;
  bool shutting_down_ = false;
  bool senders_stop_requested_ = false;
  int64_t drain_deadline_ns_ = 0;
  std::function<void()> shutdown_done_;

  // Campaign policy (gateway_schedule.cc).
  tz::ZoneCache zones_;
  std::optional<tz::QuietWindow> quiet_;
  ingest::SchedulePolicy policy_;
  uv_timer_t schedule_timer_{};
  int64_t next_due_ms_ = 0;        // earliest known claimable row; 0 = none known
  bool claiming_ = false;          // a claim is on the store thread
  uint64_t schedule_pending_ = 0;  // store operations whose answer has not come back
  std::mt19937_64 id_rng_;         // parents of new rows' ids
};

}  // namespace pushgw::daemon
