#include "pool/pool.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/backoff.h"
#include "loop/next_tick.h"
#include "loop/timer.h"
#include "net/address.h"
#include "net/tls_transport.h"
#include "pool/address_book.h"
#include "pool/connection_set.h"
#include "pool/slot_slab.h"
#include "pool/wait_queue.h"

namespace pushgw::pool {

std::string_view to_string(TransportError e) {
  switch (e) {
    case TransportError::None: return "none";
    case TransportError::ConnectFailed: return "connect_failed";
    case TransportError::TlsHandshakeFailed: return "tls_handshake_failed";
    case TransportError::TlsVerifyFailed: return "tls_verify_failed";
    case TransportError::RefusedStream: return "refused_stream";
    case TransportError::GoawayUnprocessed: return "goaway_unprocessed";
    case TransportError::ConnectionLost: return "connection_lost";
    case TransportError::Stalled: return "connection_stalled";
    case TransportError::StreamReset: return "stream_reset";
    case TransportError::Timeout: return "timeout";
    case TransportError::Shutdown: return "shutdown";
    case TransportError::QueueTimeout: return "queue_timeout";
    case TransportError::NoStreams: return "no_streams";
    case TransportError::ResponseTooLarge: return "response_too_large";
  }
  return "?";
}

bool never_processed(TransportError e) {
  switch (e) {
    case TransportError::ConnectFailed:
    case TransportError::TlsHandshakeFailed:
    case TransportError::TlsVerifyFailed:
    case TransportError::RefusedStream:
    case TransportError::GoawayUnprocessed:
    case TransportError::Shutdown:
    case TransportError::QueueTimeout:
    case TransportError::NoStreams:
      return true;
    default:
      return false;
  }
}

namespace {

int64_t now_ms(const Clock& clock) { return clock.mono_ns() / 1'000'000; }

// One origin's pool: the wait queue, the connections, where new ones go,
// reconnect backoff, queue deadlines and shutdown. Completions are delivered
// from a clean stack (tick_), never inside submit() or a codec callback.
class H2Pool final : public Pool, public ConnectionOwner {
 public:
  H2Pool(uv_loop_t* loop, std::shared_ptr<net::TlsContext> tls, PoolOptions opts, PoolListener& listener,
         const Clock& clock, obs::Logger log);
  ~H2Pool() override;

  // Pool
  void submit(HttpRequest* req, HttpResponse* resp, void* user) override;
  void flush() override { pump(); }
  void retire(uint32_t conn_id) override;
  void shutdown(bool force, std::function<void()> done) override;
  PoolStats stats() const override;
  size_t waiting() const override { return queue_.size(); }

  // ConnectionOwner
  void on_conn_ready(Connection& c) override;
  void on_conn_failed(Connection& c, TransportError e) override;
  void on_conn_lost(Connection& c) override;
  void on_conn_goaway(Connection& c) override;
  void on_conn_event(Connection& c) override;
  void on_conn_closed(Connection& c) override;
  void on_slot_done(Slot& s, TransportError e) override;
  void requeue(Slot& s) override;

 private:
  enum class State : uint8_t { Running, Draining, Closing, Closed };

  void pump();
  void maybe_connect();
  void open_connection();
  void on_resolved(int status);
  void connect_failed(TransportError e);
  void deliver();
  void watch_queue();
  void on_queue_timer();
  void check_shutdown();
  void close_handles();

  uv_loop_t* loop_;
  PoolOptions opts_;
  PoolListener& listener_;
  const Clock& clock_;
  obs::Logger log_, h2_log_;
  std::string default_authority_;

  SlotSlab slots_;
  WaitQueue queue_;  // waiting for a stream slot
  SlotList done_;    // completed, waiting to be delivered from a clean stack
  ConnectionSet conns_;
  AddressBook addresses_;
  uint32_t lost_ = 0;  // connections lost since the last connect (for the reconnect counter)

  base::Backoff backoff_;
  loop::Timer reconnect_timer_;
  loop::Timer queue_timer_;  // queued requests' deadlines, peers that allow no stream
  loop::NextTick tick_;
  PoolStats stats_;
  State state_ = State::Running;
  bool in_pump_ = false;
  std::function<void()> shutdown_done_;
  int handles_open_ = 0;
};

H2Pool::H2Pool(uv_loop_t* loop, std::shared_ptr<net::TlsContext> tls, PoolOptions opts, PoolListener& listener,
               const Clock& clock, obs::Logger log)
    : loop_(loop),
      opts_(std::move(opts)),
      listener_(listener),
      clock_(clock),
      log_(std::move(log)),
      h2_log_(log_.sink(), "h2"),
      default_authority_(net::authority(opts_.host, opts_.port)),
      conns_(loop),
      addresses_(loop, opts_),
      backoff_(base::BackoffOptions{opts_.backoff_base_ms, opts_.backoff_cap_ms}, base::make_default_rng(), clock),
      reconnect_timer_(loop, [this] { pump(); }),
      queue_timer_(loop, [this] { on_queue_timer(); }),
      tick_(loop, [this] {
        if (state_ == State::Running || state_ == State::Draining) pump();
      }) {
  if (!opts_.transport) opts_.transport = tls_transports(std::move(tls));
  opts_.max_connections = std::max(1, opts_.max_connections);
  opts_.max_connect_failures = std::max(1, opts_.max_connect_failures);
}

H2Pool::~H2Pool() {
  if (state_ == State::Closed) return;
  // Abrupt end: account for every request synchronously (see Pool::~Pool).
  state_ = State::Closing;
  queue_.fail_all(TransportError::Shutdown, done_);
  conns_.stop_all(true, "pool destroyed");
  while (Slot* s = done_.pop_front()) {
    listener_.on_complete(s->user, *s->req, *s->resp, s->err, s->conn_id);
    slots_.release(s);
  }
}

void H2Pool::submit(HttpRequest* req, HttpResponse* resp, void* user) {
  int64_t deadline = now_ms(clock_) + opts_.request_timeout_ms;
  if (req->not_after_mono_ms > 0) deadline = std::min(deadline, req->not_after_mono_ms);
  Slot* s = slots_.acquire(req, resp, user, deadline);
  if (state_ != State::Running) {
    s->err = TransportError::Shutdown;
    done_.push_back(s);
  } else {
    queue_.push_back(s);
  }
  // In case no flush() follows; and completions must not run inside submit().
  tick_.schedule();
}

void H2Pool::retire(uint32_t conn_id) {
  conns_.drain(conn_id, "retired");
  tick_.schedule();
}

void H2Pool::pump() {
  if (in_pump_) {  // called from a listener callback: finish this pass first
    tick_.schedule();
    return;
  }
  in_pump_ = true;
  // Writing can end streams (a timed-out stream ends when its RST_STREAM is
  // serialized) and so free slots: then fill them and write once more.
  for (int pass = 0; pass < 2; ++pass) {
    uint32_t done_before = done_.size();
    if (state_ == State::Running) conns_.assign(queue_, default_authority_, clock_.mono_ns());
    conns_.flush();
    if (queue_.empty() || done_.size() == done_before) break;
  }
  if (state_ == State::Running) {
    maybe_connect();
    watch_queue();
  }
  deliver();
  in_pump_ = false;
  if (!done_.empty()) tick_.schedule();
  if (state_ == State::Draining) check_shutdown();
}

// Opens a connection when requests wait and every live connection is full:
// one handshake at a time, within max_connections, respecting the backoff.
void H2Pool::maybe_connect() {
  if (queue_.empty() || !conns_.wants_another(opts_.max_connections) || addresses_.resolving()) return;
  if (backoff_.blocked()) {
    if (!reconnect_timer_.active()) reconnect_timer_.start(static_cast<uint64_t>(backoff_.remaining_ms()));
    return;
  }
  open_connection();
}

void H2Pool::open_connection() {
  if (addresses_.bad_connect_ip()) {
    PGW_LOG(log_, Error, "%s: connect_ip \"%s\" is not an IP literal", opts_.host.c_str(), opts_.connect_ip.c_str());
    connect_failed(TransportError::ConnectFailed);
    return;
  }
  const sockaddr* addr = addresses_.pick();
  if (addr == nullptr) {
    int rc = addresses_.resolve([this](int status) { on_resolved(status); });
    if (rc != 0) {
      PGW_LOG(log_, Warn, "%s: cannot resolve: %s", opts_.host.c_str(), uv_strerror(rc));
      connect_failed(TransportError::ConnectFailed);
    }
    return;
  }
  uint32_t id = conns_.next_id();
  ++stats_.connects;
  if (lost_ > 0) {
    --lost_;
    ++stats_.reconnects;
  }
  PGW_LOG(log_, Debug, "conn %u: connecting to %s (%s)", id, opts_.host.c_str(), net::to_string(addr).c_str());
  conns_.add(std::make_unique<Connection>(id, loop_, opts_, *this, clock_, log_, h2_log_)).connect(addr);
}

void H2Pool::on_resolved(int status) {
  if (state_ != State::Running) {
    check_shutdown();
    return;
  }
  if (status != 0) {
    PGW_LOG(log_, Warn, "%s: cannot resolve: %s", opts_.host.c_str(), uv_strerror(status));
    connect_failed(TransportError::ConnectFailed);
  }
  pump();
}

void H2Pool::connect_failed(TransportError e) {
  ++stats_.connect_failures;
  backoff_.on_failure();
  addresses_.next();  // try the next resolved address next time
  if (!conns_.any_live() && backoff_.failures() >= opts_.max_connect_failures && !queue_.empty()) {
    PGW_LOG(log_, Warn, "%s:%u: %d consecutive connect failures, failing %u queued requests (%.*s)", opts_.host.c_str(),
            opts_.port, backoff_.failures(), queue_.size(), static_cast<int>(to_string(e).size()), to_string(e).data());
    queue_.fail_all(e, done_);
  }
  tick_.schedule();  // retry (after the backoff) if requests still wait
}

void H2Pool::deliver() {
  // Only what is done now: completions caused by the listener's own calls go
  // out on the next pass, so a listener that resubmits cannot spin here.
  SlotList batch;
  batch.splice_back(done_);
  while (Slot* s = batch.pop_front()) {
    listener_.on_complete(s->user, *s->req, *s->resp, s->err, s->conn_id);
    slots_.release(s);
  }
}

// The timer runs while requests wait, at least once a second: a deadline
// earlier than the one it was armed for (a job's expiry) is late by at most
// that much.
constexpr int64_t kQueueCheckMs = 1000;

// Waiting requests have deadlines, and a peer allowing no stream a time
// limit: look again by the first of them.
void H2Pool::watch_queue() {
  if (queue_.empty()) return;
  const int64_t now = now_ms(clock_);
  const int64_t due =
      std::min(queue_.front()->queue_deadline_ms, conns_.no_streams_due(now, opts_.no_streams_timeout_ms));
  const int64_t wait = std::clamp<int64_t>(due - now, 1, kQueueCheckMs);
  if (!queue_timer_.active() || static_cast<int64_t>(queue_timer_.due_in()) > wait)
    queue_timer_.start(static_cast<uint64_t>(wait));
}

void H2Pool::on_queue_timer() {
  if (state_ != State::Running || queue_.empty()) return;
  const int64_t now = now_ms(clock_);
  // A peer that allowed no stream past no_streams_timeout_ms: closed as a failed attempt.
  auto expired = [this](Connection& c) {
    PGW_LOG(log_, Warn, "conn %u: %s:%u allowed no stream for %d ms; closing it", c.id(), opts_.host.c_str(),
            opts_.port, opts_.no_streams_timeout_ms);
    c.abort("peer allows no streams");
    connect_failed(TransportError::NoStreams);
  };
  const int64_t next =
      std::min(queue_.expire(now, done_), conns_.police_no_streams(now, opts_.no_streams_timeout_ms, &expired));
  if (!queue_.empty()) queue_timer_.start(static_cast<uint64_t>(std::clamp<int64_t>(next - now, 1, kQueueCheckMs)));
  pump();
}

void H2Pool::on_conn_ready(Connection& c) {
  ++stats_.handshakes;
  // A peer that allows no stream has not given us a working connection yet:
  // its failures keep adding up (police_no_streams).
  if (c.capacity() > 0) backoff_.on_success();
  PGW_LOG(log_, Debug, "conn %u: ready", c.id());
}

void H2Pool::on_conn_failed(Connection&, TransportError e) {
  if (state_ != State::Running) {
    tick_.schedule();
    return;
  }
  connect_failed(e);
}

void H2Pool::on_conn_lost(Connection&) {
  ++lost_;
  tick_.schedule();
}

void H2Pool::on_conn_goaway(Connection&) {
  ++stats_.goaways;
  tick_.schedule();
}

void H2Pool::on_conn_event(Connection&) { pump(); }

void H2Pool::on_conn_closed(Connection& c) {
  conns_.remove(c);
  tick_.schedule();
  if (state_ == State::Draining) check_shutdown();
}

void H2Pool::on_slot_done(Slot& s, TransportError e) {
  s.err = e;
  done_.push_back(&s);
}

void H2Pool::requeue(Slot& s) {
  if (state_ != State::Running) {
    s.err = TransportError::Shutdown;
    done_.push_back(&s);
    return;
  }
  s.reset_codec_state();
  s.conn_id = 0;
  queue_.push_front(&s);
}

void H2Pool::shutdown(bool force, std::function<void()> done) {
  shutdown_done_ = std::move(done);
  if (state_ != State::Running) return;
  state_ = State::Draining;
  PGW_LOG(log_, Info, "%s:%u: shutting down (%s), %u queued", opts_.host.c_str(), opts_.port, force ? "force" : "drain",
          queue_.size());
  queue_.fail_all(TransportError::Shutdown, done_);
  reconnect_timer_.stop();
  queue_timer_.stop();
  addresses_.cancel();
  conns_.stop_all(force, "shutdown");
  tick_.schedule();
}

void H2Pool::check_shutdown() {
  if (state_ != State::Draining || in_pump_) return;
  if (!conns_.empty() || addresses_.resolving() || !done_.empty() || !queue_.empty()) return;
  close_handles();
}

// Last step of shutdown: close the pool's own handles; done runs from the
// last close callback, so the loop holds nothing of ours afterwards.
void H2Pool::close_handles() {
  state_ = State::Closing;
  handles_open_ = 4;
  auto closed = [this] {
    if (--handles_open_ > 0) return;
    state_ = State::Closed;
    auto done = std::move(shutdown_done_);
    if (done) done();  // may destroy the pool: nothing after this line
  };
  reconnect_timer_.close(closed);
  queue_timer_.close(closed);
  tick_.close(closed);
  conns_.close(closed);  // deletes the connections still pending first
}

PoolStats H2Pool::stats() const {
  PoolStats s = stats_;
  s.queued = queue_.size();
  conns_.add_stats(s);
  return s;
}

}  // namespace

TransportFactory tls_transports(std::shared_ptr<net::TlsContext> tls) {
  return [tls = std::move(tls)](uv_loop_t* loop, const TransportSpec& spec, net::TransportHandler& handler,
                                const obs::Logger& log) -> std::unique_ptr<net::Transport> {
    net::TlsTransportOptions to;
    to.host = spec.host;
    to.port = spec.port;
    to.offer_http1 = spec.offer_http1;
    to.conn_id = spec.conn_id;
    return std::make_unique<net::TlsTransport>(loop, tls, std::move(to), handler, log);
  };
}

std::unique_ptr<Pool> make_h2_pool(uv_loop_t* loop, std::shared_ptr<net::TlsContext> tls, PoolOptions opts,
                                   PoolListener& listener, const Clock& clock, obs::Logger log) {
  return std::make_unique<H2Pool>(loop, std::move(tls), std::move(opts), listener, clock, std::move(log));
}

PoolFactory h2_pools(std::shared_ptr<net::TlsContext> tls, const Clock& clock) {
  return [tls = std::move(tls), &clock](uv_loop_t* loop, PoolOptions opts, PoolListener& listener, obs::Logger log) {
    return make_h2_pool(loop, tls, std::move(opts), listener, clock, std::move(log));
  };
}

}  // namespace pushgw::pool
