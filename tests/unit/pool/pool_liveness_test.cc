// The pool's PING liveness check, over an in-memory byte pipe (the transport
// seam) to pushgw-sim's HTTP/2 server session: a busy connection that goes
// silent is PINGed and, with no ACK, declared dead, its open streams ending
// Stalled long before their request timeout; a peer that is slow to answer
// requests but answers PINGs keeps its connection; a connection waiting for
// an ACK takes no new streams; and an ACK already waiting when a blocked loop
// wakes past the deadline is read before the verdict.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "h2_server.h"
#include "loop/async.h"
#include "loop/check.h"
#include "loop/loop.h"
#include "loop/next_tick.h"
#include "loop/timer.h"
#include "pool/pool.h"

namespace pushgw::pool {
namespace {

// The test's handle on the peer of one connection.
struct Peer {
  bool silent = false;      // from now on no byte moves either way (a dead middlebox)
  bool hold_input = false;  // the server's output waits until the test releases it
  int pings = 0;            // PINGs (not ACKs) the client wrote, delivered or not
  std::string held;
  std::function<void()> release;  // delivers `held` as a socket read would (I/O phase)
};

// Answers 200 at once, except paths starting "/never" (never answered).
class Answers final : public sim::RequestSink {
 public:
  sim::Disposition on_request(const sim::SimRequest& req, sim::SimResponse& resp) override {
    resp.status = 200;
    return req.path.starts_with("/never") ? sim::Disposition::kNever : sim::Disposition::kNow;
  }
};

// Counts client PING frames in the byte stream the client writes.
class FrameScan {
 public:
  int pings(std::string_view more) {
    buf_.append(more);
    int n = 0;
    while (buf_.size() - at_ >= 9) {
      const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + at_);
      const size_t len = (size_t{p[0]} << 16) | (size_t{p[1]} << 8) | p[2];
      if (buf_.size() - at_ < 9 + len) break;
      if (p[3] == 0x6 && (p[4] & 0x1) == 0) ++n;  // PING without ACK
      at_ += 9 + len;
    }
    return n;
  }

 private:
  std::string buf_;
  size_t at_ = 24;  // the client connection preface
};

// The byte pipe: what the client flushes goes into the server session at
// once; what the server answers comes back through an async handle, so it is
// read in the loop's I/O phase, like a socket.
class PipeTransport final : public net::Transport {
 public:
  PipeTransport(uv_loop_t* loop, net::TransportHandler& h, Peer& peer, sim::FaultBoard& board, const Clock& clock)
      : h_(h),
        peer_(peer),
        server_(answers_, stats_, board, clock, sim::H2Options{100, 300}),
        tick_(loop, [this] { on_tick(); }),
        io_(loop, [this] { deliver(); }) {
    server_.init();
    peer_.release = [this] {
      in_ += peer_.held;
      peer_.held.clear();
      io_.ring();
    };
  }
  ~PipeTransport() override { peer_.release = nullptr; }

  void connect(const sockaddr*) override { tick_.schedule(); }
  std::string& out() override { return out_; }
  void flush() override {
    if (closed_ || out_.empty()) return;
    peer_.pings += scan_.pings(out_);
    if (!peer_.silent) {
      server_.feed(reinterpret_cast<const uint8_t*>(out_.data()), out_.size());
      std::string back;
      server_.produce(back);
      if (peer_.hold_input) {
        peer_.held += back;
      } else if (!back.empty()) {
        in_ += back;
        io_.ring();
      }
    }
    out_.clear();
  }
  void close() override {
    closed_ = true;
    tick_.schedule();
  }
  size_t write_backlog() const override { return 0; }

 private:
  void on_tick() {
    if (closed_) {
      if (!closed_told_) {
        closed_told_ = true;
        h_.on_transport_closed();
      }
      return;
    }
    if (!ready_told_) {
      ready_told_ = true;
      h_.on_transport_ready("h2");
    }
  }
  void deliver() {
    if (closed_ || in_.empty() || peer_.silent) return;
    std::string data;
    data.swap(in_);
    h_.on_transport_data(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    h_.on_transport_read_done();
  }

  net::TransportHandler& h_;
  Peer& peer_;
  Answers answers_;
  sim::Stats stats_;
  sim::H2Conn server_;
  FrameScan scan_;
  std::string out_, in_;
  loop::NextTick tick_;
  loop::Async io_;
  bool ready_told_ = false, closed_told_ = false, closed_ = false;
};

struct Call {
  HttpRequest req;
  HttpResponse resp;
  bool done = false;
  TransportError err = TransportError::None;
  uint32_t conn_id = 0;
};

class Liveness : public ::testing::Test, public PoolListener {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    if (pool_) {
      bool done = false;
      pool_->shutdown(true, [&] { done = true; });
      EXPECT_TRUE(run_until([&] { return done; }));
      pool_.reset();
    }
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
    for (auto& c : calls_) EXPECT_TRUE(c.done) << "every submit completes";
  }

  PoolOptions options() {
    PoolOptions o;
    o.host = "peer.test";
    o.port = 443;
    o.connect_ip = "127.0.0.1";
    o.backoff_base_ms = 5;
    o.backoff_cap_ms = 20;
    o.request_timeout_ms = 60'000;  // far beyond any wait here: only the PING may end a stream
    o.stall_ping_ms = 20;
    o.ping_timeout_ms = 80;
    o.transport = [this](uv_loop_t* loop, const TransportSpec&, net::TransportHandler& h, const obs::Logger&) {
      peers_.push_back(std::make_unique<Peer>());
      return std::make_unique<PipeTransport>(loop, h, *peers_.back(), board_, clock_);
    };
    return o;
  }
  void make_pool(PoolOptions o) { pool_ = make_h2_pool(&loop_, nullptr, std::move(o), *this, clock_, log_); }

  Call& submit(const std::string& path = "/3/device/abc") {
    Call& c = calls_.emplace_back();
    c.req.path = path;
    c.req.body = "{}";
    pool_->submit(&c.req, &c.resp, &c);
    pool_->flush();
    return c;
  }
  void on_complete(void* user, HttpRequest&, HttpResponse&, TransportError err, uint32_t conn_id) override {
    auto* c = static_cast<Call*>(user);
    EXPECT_FALSE(c->done) << "completed twice";
    c->done = true;
    c->err = err;
    c->conn_id = conn_id;
  }
  // The guard only stops a hang (the test then fails); it is no timing assertion.
  bool run_until(const std::function<bool()>& pred) {
    bool expired = false;
    loop::Timer guard(&loop_, [&] { expired = true; });
    guard.start(15'000);
    while (!pred() && !expired) uv_run(&loop_, UV_RUN_ONCE);
    return pred();
  }
  bool all_done() {
    for (auto& c : calls_)
      if (!c.done) return false;
    return true;
  }

  uv_loop_t loop_{};
  SystemClock clock_;
  obs::Logger log_;
  sim::FaultBoard board_{clock_};
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<Call> calls_;
  std::unique_ptr<Pool> pool_;
};

TEST_F(Liveness, SilentBusyConnectionIsFoundDeadByPingAndItsStreamsEndStalled) {
  make_pool(options());
  for (int i = 0; i < 3; ++i) submit();
  ASSERT_TRUE(run_until([&] { return all_done(); }));
  for (auto& c : calls_) EXPECT_EQ(c.err, TransportError::None);
  peers_[0]->silent = true;
  std::vector<Call*> stuck;
  for (int i = 0; i < 5; ++i) stuck.push_back(&submit());
  // Well before the 60 s request timeout (the guard would fail first).
  ASSERT_TRUE(run_until([&] { return all_done(); }));
  for (Call* c : stuck) {
    EXPECT_EQ(c->err, TransportError::Stalled);
    EXPECT_EQ(c->conn_id, 1u);
  }
  EXPECT_EQ(to_string(TransportError::Stalled), "connection_stalled");
  EXPECT_FALSE(never_processed(TransportError::Stalled));  // the caller decides about duplicates
  EXPECT_GE(peers_[0]->pings, 1);
  // The next request opens a new connection.
  Call& next = submit();
  ASSERT_TRUE(run_until([&] { return next.done; }));
  EXPECT_EQ(next.err, TransportError::None);
  EXPECT_EQ(next.conn_id, 2u);
  EXPECT_EQ(pool_->stats().connects, 2u);
}

TEST_F(Liveness, PeerSlowToAnswerButAnsweringPingsKeepsItsConnection) {
  auto o = options();
  o.request_timeout_ms = 400;
  make_pool(o);
  Call& hung = submit("/never");  // no answer, but PINGs are answered meanwhile
  ASSERT_TRUE(run_until([&] { return hung.done; }));
  EXPECT_EQ(hung.err, TransportError::Timeout);  // its own deadline, not a PING verdict
  EXPECT_GE(peers_[0]->pings, 3);              // pinged every 20 ms of silence, each acknowledged
  Call& next = submit();
  ASSERT_TRUE(run_until([&] { return next.done; }));
  EXPECT_EQ(next.err, TransportError::None);
  EXPECT_EQ(next.conn_id, 1u);
  EXPECT_EQ(pool_->stats().connects, 1u);
}

TEST_F(Liveness, ConnectionWaitingForAPingAckTakesNoNewStreams) {
  auto o = options();
  o.max_connections = 2;
  o.ping_timeout_ms = 3'000;  // the verdict on conn 1 comes long after the rest of the test
  make_pool(o);
  Call& first = submit();
  ASSERT_TRUE(run_until([&] { return first.done; }));
  peers_[0]->silent = true;
  Call& stuck = submit();
  ASSERT_TRUE(run_until([&] { return peers_[0]->pings >= 1; }));  // conn 1 is in question now
  Call& later = submit();
  ASSERT_TRUE(run_until([&] { return later.done; }));
  EXPECT_EQ(later.err, TransportError::None);
  EXPECT_EQ(later.conn_id, 2u);  // not queued behind the silent connection
  EXPECT_FALSE(stuck.done);
  ASSERT_TRUE(run_until([&] { return stuck.done; }));
  EXPECT_EQ(stuck.err, TransportError::Stalled);
}

TEST_F(Liveness, AckWaitingWhenABlockedLoopWakesPastTheDeadlineIsRead) {
  auto o = options();
  o.ping_timeout_ms = 50;
  make_pool(o);
  Call& hung = submit("/never");
  ASSERT_TRUE(run_until([&] { return !peers_.empty() && pool_->stats().streams_in_flight == 1; }));
  Peer& peer = *peers_[0];
  peer.hold_input = true;
  ASSERT_TRUE(run_until([&] { return peer.pings >= 1 && !peer.held.empty(); }));  // the ACK is ready
  // The ACK arrives while the loop is stuck in a callback until past the
  // deadline; the callback is a check handle's, after the I/O phase, so the
  // loop's next step is its timers, before it reads the ACK. This iteration
  // runs as pushgwd's loop runs (UV_RUN_DEFAULT, stopped right after the
  // block): UV_RUN_ONCE would run the due timers once more at its end, and
  // the next iteration's timers would follow with no I/O pass between them,
  // which pushgwd's loop never does (the test was flaky under sanitizers).
  bool blocked = false;
  loop::Check block(&loop_, [&] {
    if (blocked) return;
    blocked = true;
    peer.release();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    uv_stop(&loop_);
  });
  block.start();
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_TRUE(blocked);
  block.stop();
  peer.hold_input = false;
  // The connection survives and keeps PINGing (the next PING is answered too).
  const int pings = peer.pings;
  ASSERT_TRUE(run_until([&] { return peer.pings >= pings + 2 || hung.done; }));
  EXPECT_FALSE(hung.done);
  EXPECT_EQ(pool_->stats().connects, 1u);
  EXPECT_EQ(pool_->stats().connections, 1u);
}

}  // namespace
}  // namespace pushgw::pool
