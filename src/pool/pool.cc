#include "pool/pool.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/backoff.h"
#include "loop/deferred_delete.h"
#include "loop/next_tick.h"
#include "loop/timer.h"
#include "net/address.h"
#include "net/resolver.h"
#include "net/tls_transport.h"
#include "pool/connection.h"
#include "pool/slot.h"

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
constexpr int64_t kResolveTtlMs = 60'000;  // re-resolve for new connections after this

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

  Slot* acquire();
  void release(Slot* s);
  void pump();
  void assign();
  void maybe_connect();
  bool open_connection();
  const sockaddr* pick_address();
  void on_resolved(int status);
  void connect_failed(TransportError e);
  void fail_queue(TransportError e);
  void deliver();
  void on_tick();
  int64_t now_ms() const { return clock_.mono_ns() / 1'000'000; }
  void arm_queue_timer(int64_t now, int64_t due);
  void on_queue_timer();
  int64_t expire_queue(int64_t now);
  int64_t police_no_streams(int64_t now, bool close);
  void check_shutdown();
  void close_handles();

  uv_loop_t* loop_;
  PoolOptions opts_;
  PoolListener& listener_;
  const Clock& clock_;
  obs::Logger log_, h2_log_;
  std::string default_authority_;
  std::optional<sockaddr_storage> fixed_addr_;  // connect_ip or an IP-literal host
  bool fixed_addr_bad_ = false;

  std::vector<std::unique_ptr<Slot>> slab_;
  std::vector<Slot*> free_;
  SlotList queue_;  // waiting for a stream slot
  SlotList done_;   // completed, waiting to be delivered from a clean stack

  std::vector<std::unique_ptr<Connection>> conns_;
  uint32_t next_conn_id_ = 1;
  size_t next_addr_ = 0;
  uint32_t lost_ = 0;  // connections lost since the last connect (for the reconnect counter)

  base::Backoff backoff_;
  net::Resolver resolver_;
  loop::Timer reconnect_timer_;
  loop::Timer queue_timer_;  // queued requests' deadlines, peers that allow no stream
  loop::NextTick tick_;
  loop::DeferredDelete closed_conns_;  // closed connections, deleted from a clean stack
  PoolStats stats_;
  State state_ = State::Running;
  bool in_pump_ = false;
  TransportError last_connect_error_ = TransportError::ConnectFailed;
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
      backoff_(base::BackoffOptions{opts_.backoff_base_ms, opts_.backoff_cap_ms}, base::make_default_rng(), clock),
      resolver_(loop, opts_.host, opts_.port),
      reconnect_timer_(loop, [this] { pump(); }),
      queue_timer_(loop, [this] { on_queue_timer(); }),
      tick_(loop, [this] { on_tick(); }),
      closed_conns_(loop) {
  if (!opts_.transport) opts_.transport = tls_transports(std::move(tls));
  opts_.max_connections = std::max(1, opts_.max_connections);
  opts_.max_connect_failures = std::max(1, opts_.max_connect_failures);
  if (!opts_.connect_ip.empty()) {
    fixed_addr_ = net::parse_ip(opts_.connect_ip, opts_.port);
    fixed_addr_bad_ = !fixed_addr_;
  } else if (net::is_ip_literal(opts_.host)) {
    fixed_addr_ = net::parse_ip(opts_.host, opts_.port);
  }
}

H2Pool::~H2Pool() {
  if (state_ == State::Closed) return;
  // Abrupt end: account for every request synchronously (see Pool::~Pool).
  state_ = State::Closing;
  fail_queue(TransportError::Shutdown);
  for (size_t i = 0; i < conns_.size(); ++i) conns_[i]->abort("pool destroyed");
  while (Slot* s = done_.pop_front()) {
    listener_.on_complete(s->user, *s->req, *s->resp, s->err, s->conn_id);
    release(s);
  }
}

Slot* H2Pool::acquire() {
  if (free_.empty()) {
    slab_.push_back(std::make_unique<Slot>());
    return slab_.back().get();
  }
  Slot* s = free_.back();
  free_.pop_back();
  return s;
}

void H2Pool::release(Slot* s) {
  s->req = nullptr;
  s->resp = nullptr;
  s->user = nullptr;
  free_.push_back(s);
}

void H2Pool::submit(HttpRequest* req, HttpResponse* resp, void* user) {
  Slot* s = acquire();
  s->req = req;
  s->resp = resp;
  s->user = user;
  s->conn_id = 0;
  s->err = TransportError::None;
  s->timed_out = false;
  s->reset_codec_state();
  s->queue_deadline_ms = now_ms() + opts_.request_timeout_ms;
  if (req->not_after_mono_ms > 0) s->queue_deadline_ms = std::min(s->queue_deadline_ms, req->not_after_mono_ms);
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
  for (auto& c : conns_) {
    if (c->id() == conn_id) {
      c->drain("retired");
      break;
    }
  }
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
    if (state_ == State::Running) assign();
    for (size_t i = 0; i < conns_.size(); ++i) conns_[i]->flush();
    if (queue_.empty() || done_.size() == done_before) break;
  }
  if (state_ == State::Running) {
    maybe_connect();
    // Waiting requests have deadlines, and a peer allowing no stream a
    // time limit: look again by the first of them.
    if (!queue_.empty()) {
      const int64_t now = now_ms();
      const int64_t due = std::min(queue_.front()->queue_deadline_ms, police_no_streams(now, false));
      if (!queue_timer_.active() || static_cast<int64_t>(queue_timer_.due_in()) > due - now) arm_queue_timer(now, due);
    }
  }
  deliver();
  in_pump_ = false;
  if (!done_.empty()) tick_.schedule();
  if (state_ == State::Draining) check_shutdown();
}

void H2Pool::assign() {
  if (queue_.empty()) return;
  int64_t now = clock_.mono_ns() / 1'000'000;
  for (size_t i = 0; i < conns_.size() && !queue_.empty(); ++i) {
    Connection& c = *conns_[i];
    while (!queue_.empty() && c.capacity() > 0) {
      Slot* s = queue_.pop_front();
      s->authority = s->req->authority.empty() ? std::string_view(default_authority_) : std::string_view(s->req->authority);
      s->resp->clear();
      if (!c.start(*s, now)) {
        queue_.push_front(s);
        break;
      }
    }
  }
}

// Opens a connection when requests wait and every live connection is full:
// one handshake at a time, within max_connections, respecting the backoff.
void H2Pool::maybe_connect() {
  if (queue_.empty()) return;
  int live = 0;
  for (auto& c : conns_) {
    if (!c->live()) continue;
    ++live;
    if (c->state() != Connection::State::Ready) return;  // a handshake is under way
    if (c->capacity() > 0) return;
  }
  if (live >= opts_.max_connections || resolver_.busy()) return;
  if (backoff_.blocked()) {
    if (!reconnect_timer_.active()) reconnect_timer_.start(static_cast<uint64_t>(backoff_.remaining_ms()));
    return;
  }
  open_connection();
}

const sockaddr* H2Pool::pick_address() {
  if (fixed_addr_) return reinterpret_cast<const sockaddr*>(&*fixed_addr_);
  const auto& addrs = resolver_.addresses();
  if (addrs.empty() || static_cast<int64_t>(uv_now(loop_)) - resolver_.resolved_at_ms() > kResolveTtlMs) return nullptr;
  return reinterpret_cast<const sockaddr*>(&addrs[next_addr_ % addrs.size()]);
}

bool H2Pool::open_connection() {
  if (fixed_addr_bad_) {
    PGW_LOG(log_, Error, "%s: connect_ip \"%s\" is not an IP literal", opts_.host.c_str(), opts_.connect_ip.c_str());
    connect_failed(TransportError::ConnectFailed);
    return false;
  }
  const sockaddr* addr = pick_address();
  if (addr == nullptr) {
    int rc = resolver_.start([this](int status) { on_resolved(status); });
    if (rc != 0) {
      PGW_LOG(log_, Warn, "%s: cannot resolve: %s", opts_.host.c_str(), uv_strerror(rc));
      connect_failed(TransportError::ConnectFailed);
    }
    return false;
  }
  uint32_t id = next_conn_id_++;
  ++stats_.connects;
  if (lost_ > 0) {
    --lost_;
    ++stats_.reconnects;
  }
  PGW_LOG(log_, Debug, "conn %u: connecting to %s (%s)", id, opts_.host.c_str(), net::to_string(addr).c_str());
  auto c = std::make_unique<Connection>(id, loop_, opts_, *this, clock_, log_, h2_log_);
  Connection* raw = c.get();
  conns_.push_back(std::move(c));
  raw->connect(addr);
  return true;
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
  last_connect_error_ = e;
  backoff_.on_failure();
  ++next_addr_;  // try the next resolved address next time
  bool any_live = std::any_of(conns_.begin(), conns_.end(), [](const auto& c) { return c->live(); });
  if (!any_live && backoff_.failures() >= opts_.max_connect_failures && !queue_.empty()) {
    PGW_LOG(log_, Warn, "%s:%u: %d consecutive connect failures, failing %u queued requests (%.*s)", opts_.host.c_str(),
            opts_.port, backoff_.failures(), queue_.size(), static_cast<int>(to_string(e).size()), to_string(e).data());
    fail_queue(e);
  }
  tick_.schedule();  // retry (after the backoff) if requests still wait
}

void H2Pool::fail_queue(TransportError e) {
  while (Slot* s = queue_.pop_front()) {
    s->err = e;
    done_.push_back(s);
  }
}

void H2Pool::deliver() {
  // Only what is done now: completions caused by the listener's own calls go
  // out on the next pass, so a listener that resubmits cannot spin here.
  SlotList batch;
  batch.splice_back(done_);
  while (Slot* s = batch.pop_front()) {
    listener_.on_complete(s->user, *s->req, *s->resp, s->err, s->conn_id);
    release(s);
  }
}

// The timer runs while requests wait, at least once a second: a deadline
// earlier than the one it was armed for (a job's expiry) is late by at most
// that much.
constexpr int64_t kQueueCheckMs = 1000;

void H2Pool::arm_queue_timer(int64_t now, int64_t due) {
  const int64_t wait = std::clamp<int64_t>(due - now, 1, kQueueCheckMs);
  queue_timer_.start(static_cast<uint64_t>(wait));
}

void H2Pool::on_queue_timer() {
  if (state_ != State::Running || queue_.empty()) return;
  const int64_t now = now_ms();
  const int64_t next = std::min(expire_queue(now), police_no_streams(now, true));
  if (!queue_.empty()) arm_queue_timer(now, next);
  pump();
}

// Fails queued requests past their deadline; returns the earliest left.
int64_t H2Pool::expire_queue(int64_t now) {
  int64_t next = INT64_MAX;
  for (Slot* s = queue_.front(); s != nullptr;) {
    Slot* after = s->next;
    if (s->queue_deadline_ms <= now) {
      queue_.remove(s);
      s->err = TransportError::QueueTimeout;
      done_.push_back(s);
    } else {
      next = std::min(next, s->queue_deadline_ms);
    }
    s = after;
  }
  return next;
}

// A ready connection whose peer allows no stream (and has none in flight)
// is useless while requests wait: past no_streams_timeout_ms it is closed as
// a failed attempt (when close). Returns when to look again.
int64_t H2Pool::police_no_streams(int64_t now, bool close) {
  int64_t next = INT64_MAX;
  for (size_t i = 0; i < conns_.size(); ++i) {
    Connection& c = *conns_[i];
    const int64_t since = c.no_streams_since(now);
    if (since == 0) continue;
    if (!close || now - since < opts_.no_streams_timeout_ms) {
      next = std::min(next, since + opts_.no_streams_timeout_ms);
      continue;
    }
    PGW_LOG(log_, Warn, "conn %u: %s:%u allowed no stream for %d ms; closing it", c.id(), opts_.host.c_str(),
            opts_.port, opts_.no_streams_timeout_ms);
    c.abort("peer allows no streams");
    connect_failed(TransportError::NoStreams);
  }
  return next;
}

void H2Pool::on_tick() {
  if (state_ == State::Closing || state_ == State::Closed) return;
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
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].get() == &c) {
      closed_conns_.add(std::move(conns_[i]));
      conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
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
  fail_queue(TransportError::Shutdown);
  reconnect_timer_.stop();
  queue_timer_.stop();
  resolver_.cancel();
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (force) conns_[i]->abort("shutdown");
    else conns_[i]->drain("shutdown");
  }
  tick_.schedule();
}

void H2Pool::check_shutdown() {
  if (state_ != State::Draining || in_pump_) return;
  if (!conns_.empty() || resolver_.busy() || !done_.empty() || !queue_.empty()) return;
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
  closed_conns_.close(closed);  // deletes the connections still pending first
}

PoolStats H2Pool::stats() const {
  PoolStats s = stats_;
  s.queued = queue_.size();
  for (const auto& c : conns_) {
    if (c->state() <= Connection::State::Draining) ++s.connections;
    s.streams_in_flight += c->in_flight();
  }
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
