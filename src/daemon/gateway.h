// The ingest side of the daemon: owns the socket server, the sender threads
// and the requests that wait for results. Runs on the main libuv loop.
//
// Flow: a request line is parsed; a "send" is validated and expanded into
// Batches; their recipients are pushed to the senders' rings in chunks
// (backlog_ holds what did not fit: while it is non-empty the server stops
// reading, which is the back-pressure the contract promises). Senders hand
// back finished waited-for batches; once every batch of a request is final
// (and the store has committed its verdicts) the response is written.
#pragma once
#include <uv.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "daemon/apps.h"
#include "dispatch/sender.h"
#include "ingest/request_parser.h"
#include "ingest/server.h"
#include "obs/log.h"
#include "pushgw/clock.h"

namespace pushgw::store {
class Store;
}
namespace pushgw::spool {
class Spool;
struct Unfinished;
}

namespace pushgw::daemon {

class Gateway final : public ingest::Server::Handler {
 public:
  struct Deps {
    uv_loop_t* loop = nullptr;
    std::shared_ptr<const config::Config> config;
    std::unique_ptr<Apps> apps;
    std::shared_ptr<net::TlsContext> tls;
    store::Store* store = nullptr;
    dispatch::CapTable* caps = nullptr;  // [policy] marketing frequency caps (owned by main)
    spool::Spool* spool = nullptr;  // optional: journal sends before acking, mark final outcomes done
    const Clock* clock = nullptr;
    std::shared_ptr<obs::LogSink> log_sink;
    int workers = 1;
    metrics::Registry* registry = nullptr;
    metrics::GatewayFamilies* families = nullptr;
    bool test_hooks = false;  // PUSHGW_TEST_HOOKS=1: enables op "test_stall"
  };
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
  Result<std::vector<FcmCredential>> reload(std::shared_ptr<const config::Config> cfg);
  // SIGTERM: stop reading, drain for up to drain_seconds, then call done.
  void shutdown(std::function<void()> done);

  // Server::Handler
  void on_line(uint64_t conn_id, std::string_view line) override;
  void on_too_long(uint64_t conn_id) override;
  void on_close(uint64_t conn_id) override;

  std::string stats_json(std::string_view id_json) const;
  uint64_t queue_depth() const;
  uint64_t connections() const;
  uint64_t streams_in_flight() const;
  // Loop-turn counters of every sender (watchdog sources).
  std::vector<const std::atomic<uint64_t>*> sender_heartbeats() const;
  // One-line live summary for systemd STATUS=.
  std::string status_line() const;

 private:
  struct Waiting {
    uint64_t conn_id = 0;
    std::string id_json;
    uint32_t accepted = 0;
    std::vector<ingest::Rejection> rejected;
    std::vector<Batch*> batches;
    size_t remaining = 0;
  };
  struct BacklogItem {
    Batch* batch;
    uint32_t next;   // next recipient to enqueue (position in `only` when set)
    int rr;          // rotation among the app's serving threads
    std::shared_ptr<const std::vector<uint32_t>> only = nullptr;  // spool replay: just these recipients
    uint32_t total() const { return static_cast<uint32_t>(only ? only->size() : batch->recipients.size()); }
    uint32_t idx(uint32_t k) const { return only ? (*only)[k] : k; }
  };

  void handle_send(uint64_t conn_id, const std::string& id_json, std::string_view line);
  void handle_op(uint64_t conn_id, std::string_view op, const std::string& id_json);
  // Campaign policy ops "event" and "campaign" (gateway_campaign_ops.cc).
  void handle_campaign_op(uint64_t conn_id, std::string_view op, const std::string& id_json);
  void enqueue(Batch* b);
  void pump();
  void on_senders_notified();
  void batch_done(Batch* b);
  void request_done(uint64_t request_id);
  void respond_waiting(Waiting& w);
  void check_shutdown();
  void fail_backlog_for_shutdown();
  void post_to_loop(std::function<void()> fn);
  void run_posted();

  Deps d_;
  obs::Logger log_;
  std::unique_ptr<ingest::Server> server_;
  std::unique_ptr<metrics::Shard> shard_;  // ingest-side counters (accepted, rejected)
  ingest::RequestParser parser_;
  std::vector<std::unique_ptr<dispatch::Sender>> senders_;
  std::deque<BacklogItem> backlog_;
  std::vector<SendJob> scratch_;
  std::vector<uint8_t> touched_;
  std::unordered_map<uint64_t, Waiting> waiting_;
  uint64_t next_request_id_ = 1;
  uint64_t acks_pending_ = 0;  // wait:false answers waiting for the spool's group commit
  uint64_t accepted_[kPlatformCount] = {0, 0, 0};
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
};

}  // namespace pushgw::daemon
