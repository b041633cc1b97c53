// Shared fixture for pool tests: a loop, a generated PKI, a pushgw-sim peer
// on the same loop (HTTP/2 with the simulator's faults, or HTTP/1.1) that
// answers what script_ says, and a listener that records every completion
// (and can re-submit never-processed ones, the way the dispatcher would).
#pragma once
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>

#include "loop/loop.h"
#include "net/tls_context.h"
#include "pool/pool.h"
#include "run_until.h"
#include "sim_peer.h"
#include "test_pki.h"
#include "unused_port.h"

namespace pushgw::pool {

struct Call {
  HttpRequest req;
  HttpResponse resp;
  int submits = 0, completions = 0;
  TransportError err = TransportError::None;
  uint32_t conn_id = 0;
  std::vector<TransportError> history;
};

class PoolTest : public ::testing::Test, public PoolListener {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    auto ctx = net::TlsContext::create(pki_.ca_file());
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    tls_ = ctx.value();
    // Quiet by default; PGW_TEST_LOG=1 shows pool/h2 logs.
    if (getenv("PGW_TEST_LOG") != nullptr) log_ = obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Debug), "pool");
  }

  void TearDown() override {
    if (pool_) {
      bool done = false;
      pool_->shutdown(true, [&] { done = true; });
      EXPECT_TRUE(testing::run_until(&loop_, [&] { return done; }));
      pool_.reset();
    }
    if (server_) server_->close();
    server_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
    for (auto& c : calls_) EXPECT_EQ(c.completions, c.submits) << "every submit completes exactly once";
  }

  // An HTTP/2 peer (ALPN h2) with faults_ and peer_.h2 as set so far.
  void serve_h2(const testing::KeyCert& kc) { serve(kc, sim::Alpn::H2); }
  void serve_h2() { serve_h2(pki_.issue({"localhost"}, {"127.0.0.1"})); }
  // An HTTP/1.1 peer (peer_.h1 framing).
  void serve_h1(sim::Alpn alpn = sim::Alpn::Http1) { serve(pki_.issue({"localhost"}, {"127.0.0.1"}), alpn); }
  void serve(const testing::KeyCert& kc, sim::Alpn alpn) {
    testing::PeerOptions o = peer_;
    o.cert_pem = kc.cert_pem;
    o.key_pem = kc.key_pem;
    o.alpn = alpn;
    server_ = std::make_unique<testing::SimPeer>(&loop_, std::move(o), script_);
    server_->set_faults(faults_);
  }
  // What the peer counted.
  uint64_t peer_requests() const { return sim::load(server_->stats.requests); }
  uint64_t peer_max_open() const { return sim::load(server_->stats.max_concurrent_streams_seen); }
  uint64_t peer_refused() const { return sim::load(server_->stats.refused_streams); }
  uint64_t peer_violations() const { return sim::load(server_->stats.settings_violations); }

  PoolOptions options() const {
    PoolOptions o;
    o.host = "localhost";
    o.port = server_ ? server_->port() : 1;
    o.connect_ip = "127.0.0.1";
    o.backoff_base_ms = 5;
    o.backoff_cap_ms = 20;
    return o;
  }

  void make_pool(PoolOptions o) { pool_ = make_h2_pool(&loop_, tls_, std::move(o), *this, clock_, log_); }

  // not_after_ms > 0: the request's own deadline, that many ms from now
  // (HttpRequest::not_after_mono_ms), earlier than the pool's timeout.
  Call& submit(const std::string& path = "/3/device/abc", const std::string& body = R"({"aps":{}})",
               int64_t not_after_ms = 0) {
    Call& c = calls_.emplace_back();
    if (not_after_ms > 0) c.req.not_after_mono_ms = clock_.mono_ns() / 1'000'000 + not_after_ms;
    c.req.path = path;
    c.req.body = body;
    c.req.add_header("content-type", "application/json");
    c.req.add_header("authorization", "bearer not-a-secret");
    ++c.submits;
    pool_->submit(&c.req, &c.resp, &c);
    return c;
  }

  void on_complete(void* user, HttpRequest&, HttpResponse&, TransportError err, uint32_t conn_id) override {
    auto* c = static_cast<Call*>(user);
    ++c->completions;
    c->history.push_back(err);
    c->err = err;
    c->conn_id = conn_id;
    ++completed_;
    if (retry_unprocessed_ && never_processed(err) && err != TransportError::Shutdown && c->submits < 20) {
      ++c->submits;
      pool_->submit(&c->req, &c->resp, c);
      pool_->flush();
    }
  }

  // A pool with o, one request, run until it completed.
  bool run_one(PoolOptions o) {
    make_pool(std::move(o));
    submit();
    return flush_and_run_all();
  }

  // Sends what was submitted, then runs until every call has its final completion.
  bool flush_and_run_all() {
    pool_->flush();
    return run_all();
  }

  // Runs until every call has its final completion.
  bool run_all() {
    return testing::run_until(&loop_, [&] {
      for (auto& c : calls_)
        if (c.completions < c.submits) return false;
      return true;
    });
  }

  int count(TransportError e) const {
    int n = 0;
    for (auto& c : calls_)
      for (auto h : c.history) n += h == e;
    return n;
  }

  uv_loop_t loop_{};
  testing::TestPki pki_;
  std::shared_ptr<net::TlsContext> tls_;
  SystemClock clock_;
  obs::Logger log_;
  testing::ScriptedSink script_;  // answers and what the peer saw last
  testing::PeerOptions peer_;      // HTTP/2 limits and delay, HTTP/1.1 framing
  sim::FaultSet faults_;           // HTTP/2 faults
  std::unique_ptr<testing::SimPeer> server_;
  std::unique_ptr<Pool> pool_;
  std::deque<Call> calls_;
  int completed_ = 0;
  bool retry_unprocessed_ = false;
};

}  // namespace pushgw::pool
