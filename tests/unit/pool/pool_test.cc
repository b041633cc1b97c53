// Pool happy paths over real loopback TLS: HTTP/2, growth to several
// connections, retire, idle close, shutdown, destruction, name resolution,
// HTTP/1.1 fallback.
#include "loop/next_tick.h"
#include "pool_fixture.h"

namespace pushgw::pool {
namespace {

using testing::run_until;

TEST_F(PoolTest, Http2RoundTrip) {
  script_.status = 200;
  script_.body = "";
  script_.headers = {{"apns-id", "11111111-2222-3333-4444-555555555555"}};
  serve_h2();
  make_pool(options());
  for (int i = 0; i < 100; ++i) submit("/3/device/" + std::to_string(i));
  EXPECT_EQ(completed_, 0);  // never inside submit()
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) {
    EXPECT_EQ(c.err, TransportError::None);
    EXPECT_EQ(c.resp.status, 200);
    EXPECT_EQ(c.resp.header("apns-id"), "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(c.conn_id, 1u);
  }
  EXPECT_EQ(peer_requests(), 100u);
  EXPECT_EQ(script_.last_authority, "localhost:" + std::to_string(server_->port()));
  EXPECT_EQ(script_.last_headers["authorization"], "bearer not-a-secret");
  EXPECT_EQ(script_.last_body, R"({"aps":{}})");
  PoolStats s = pool_->stats();
  EXPECT_EQ(s.connections, 1u);
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.handshakes, 1u);
  EXPECT_EQ(s.streams_in_flight, 0u);
  EXPECT_EQ(s.queued, 0u);
}

TEST_F(PoolTest, RequestAuthorityOverridesTheDefault) {
  serve_h2();
  make_pool(options());
  Call& c = calls_.emplace_back();
  c.req.path = "/x";
  c.req.authority = "api.push.apple.com";
  c.req.body = "{}";
  ++c.submits;
  pool_->submit(&c.req, &c.resp, &c);
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(script_.last_authority, "api.push.apple.com");
}

TEST_F(PoolTest, ThousandRequestsOverFourConnections) {
  peer_.h2.max_streams = 50;
  script_.delay = true;
  peer_.h2.slow_ms = 30;  // keeps streams open long enough for all four handshakes
  serve_h2();
  auto o = options();
  o.max_connections = 4;
  make_pool(o);
  for (int i = 0; i < 1000; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  std::set<uint32_t> conns;
  for (auto& c : calls_) {
    EXPECT_EQ(c.completions, 1);
    EXPECT_EQ(c.err, TransportError::None);
    EXPECT_EQ(c.resp.status, 200);
    EXPECT_EQ(c.resp.body, "ok");
    conns.insert(c.conn_id);
  }
  EXPECT_EQ(conns.size(), 4u);
  EXPECT_EQ(peer_requests(), 1000u);
  EXPECT_LE(peer_max_open(), 50u);
  EXPECT_EQ(pool_->stats().connections, 4u);
  EXPECT_EQ(server_->accepted(), 4u);
}

TEST_F(PoolTest, RetiredConnectionDrainsAndANewOneTakesOver) {
  serve_h2();
  ASSERT_TRUE(run_one(options()));
  uint32_t first = calls_[0].conn_id;
  pool_->retire(first);
  for (int i = 0; i < 5; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  for (size_t i = 1; i < calls_.size(); ++i) {
    EXPECT_EQ(calls_[i].err, TransportError::None);
    EXPECT_NE(calls_[i].conn_id, first);
  }
  ASSERT_TRUE(run_until(&loop_, [&] { return pool_->stats().connections == 1; }));
  EXPECT_EQ(pool_->stats().connects, 2u);
}

TEST_F(PoolTest, IdleConnectionClosesAndReopensOnDemand) {
  serve_h2();
  auto o = options();
  o.idle_timeout_ms = 50;
  ASSERT_TRUE(run_one(o));
  ASSERT_TRUE(run_until(&loop_, [&] { return pool_->stats().connections == 0; }));
  ASSERT_TRUE(run_until(&loop_, [&] { return server_->open_connections() == 0; }));
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_.back().err, TransportError::None);
  EXPECT_EQ(pool_->stats().connects, 2u);
}

TEST_F(PoolTest, GracefulShutdownLetsInFlightFinish) {
  script_.delay = true;
  peer_.h2.slow_ms = 30;
  serve_h2();
  ASSERT_TRUE(run_one(options()));  // connection is up
  for (int i = 0; i < 20; ++i) submit();
  pool_->flush();
  ASSERT_EQ(pool_->stats().streams_in_flight, 20u);
  bool done = false;
  pool_->shutdown(false, [&] { done = true; });
  Call& late = submit();  // after shutdown: Shutdown, but not inside submit()
  EXPECT_EQ(late.completions, 0);
  ASSERT_TRUE(run_until(&loop_, [&] { return done; }));
  EXPECT_EQ(late.err, TransportError::Shutdown);
  for (size_t i = 0; i + 1 < calls_.size(); ++i) EXPECT_EQ(calls_[i].err, TransportError::None);
  pool_.reset();
}

TEST_F(PoolTest, ForcedShutdownCutsInFlightAndFailsQueued) {
  script_.never_respond = true;
  peer_.h2.max_streams = 2;
  serve_h2();
  make_pool(options());
  for (int i = 0; i < 5; ++i) submit();
  pool_->flush();
  ASSERT_TRUE(run_until(&loop_, [&] { return pool_->stats().streams_in_flight == 2; }));
  bool done = false;
  pool_->shutdown(true, [&] { done = true; });
  ASSERT_TRUE(run_until(&loop_, [&] { return done; }));
  EXPECT_EQ(count(TransportError::ConnectionLost), 2);
  EXPECT_EQ(count(TransportError::Shutdown), 3);
  pool_.reset();
}

TEST_F(PoolTest, DestroyingThePoolCompletesEverything) {
  script_.never_respond = true;
  serve_h2();
  make_pool(options());
  for (int i = 0; i < 3; ++i) submit();
  pool_->flush();
  ASSERT_TRUE(run_until(&loop_, [&] { return pool_->stats().streams_in_flight == 3; }));
  submit();  // queued, never flushed
  pool_.reset();
  EXPECT_EQ(count(TransportError::ConnectionLost), 3);
  EXPECT_EQ(count(TransportError::Shutdown), 1);
}

TEST_F(PoolTest, ResolvesHostWhenNoConnectIp) {
  serve_h2();
  auto o = options();
  o.connect_ip.clear();  // "localhost" goes through uv_getaddrinfo (may yield ::1 first: then the next address)
  o.max_connect_failures = 5;
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::None);
}

TEST_F(PoolTest, IpLiteralHostUsesIpVerification) {
  serve_h2(pki_.issue({}, {"127.0.0.1"}));
  auto o = options();
  o.host = "127.0.0.1";
  o.connect_ip.clear();
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::None);
  EXPECT_EQ(script_.last_authority, "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(PoolTest, Http1FallbackWhenAllowed) {
  script_.status = 201;
  script_.body = "created";
  script_.headers = {{"X-Mixed-Case", "Yes"}};  // names come back lowercased
  serve_h1();
  auto o = options();
  o.allow_http1 = true;
  o.max_connections = 2;
  make_pool(o);
  for (int i = 0; i < 20; ++i) submit("/wp/" + std::to_string(i), "aes128gcm-bytes");
  ASSERT_TRUE(flush_and_run_all());
  std::set<uint32_t> conns;
  for (auto& c : calls_) {
    EXPECT_EQ(c.err, TransportError::None);
    EXPECT_EQ(c.resp.status, 201);
    EXPECT_EQ(c.resp.body, "created");
    EXPECT_EQ(c.resp.header("x-mixed-case"), "Yes");
    conns.insert(c.conn_id);
  }
  EXPECT_EQ(conns.size(), 2u);  // one request at a time per connection: the pool grew
  EXPECT_EQ(peer_requests(), 20u);
  EXPECT_EQ(script_.last_authority, "localhost:" + std::to_string(server_->port()));
  EXPECT_EQ(script_.last_body, "aes128gcm-bytes");
  EXPECT_EQ(script_.last_headers["content-length"], "15");
}

TEST_F(PoolTest, Http1ChunkedAndConnectionClose) {
  peer_.h1.framing = sim::H1Options::Framing::Chunked;
  script_.headers = {{"Connection", "close"}};
  script_.body = "a chunked body of some length";
  serve_h1();
  auto o = options();
  o.allow_http1 = true;
  make_pool(o);
  for (int i = 0; i < 3; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) {
    EXPECT_EQ(c.err, TransportError::None);
    EXPECT_EQ(c.resp.body, script_.body);
  }
  EXPECT_EQ(pool_->stats().connects, 3u);  // "connection: close": one connection per request
}

TEST_F(PoolTest, Http1OnlyServerIsRefusedWithoutAllowHttp1) {
  serve_h1();
  auto o = options();
  o.max_connect_failures = 1;
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::TlsHandshakeFailed);
  EXPECT_EQ(peer_requests(), 0u);
}


// The transport seam: a pool takes its byte pipes from PoolOptions::transport.
// This one never connects, so the pool must count each attempt and finally
// fail the queued request as never sent.
class RefusingTransport final : public net::Transport {
 public:
  RefusingTransport(uv_loop_t* loop, net::TransportHandler& h)
      : tick_(loop, [this, &h] {
          if (closed_) return h.on_transport_closed();
          closed_ = true;
          h.on_transport_error(net::NetError::ConnectFailed, "refused by the fake");
          tick_.schedule();
        }) {}
  void connect(const sockaddr*) override { tick_.schedule(); }
  std::string& out() override { return out_; }
  void flush() override {}
  void close() override {
    closed_ = true;
    tick_.schedule();
  }
  size_t write_backlog() const override { return 0; }

 private:
  loop::NextTick tick_;
  std::string out_;
  bool closed_ = false;
};

TEST_F(PoolTest, TransportFactoryProvidesEveryConnection) {
  PoolOptions o = options();
  o.max_connect_failures = 3;
  int made = 0;
  std::string host;
  o.transport = [&](uv_loop_t* loop, const TransportSpec& spec, net::TransportHandler& h, const obs::Logger&) {
    ++made;
    host = spec.host;
    return std::make_unique<RefusingTransport>(loop, h);
  };
  make_pool(o);
  Call& c = submit();
  pool_->flush();
  ASSERT_TRUE(run_all());
  EXPECT_EQ(c.err, TransportError::ConnectFailed);
  EXPECT_EQ(made, 3);
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(pool_->stats().connect_failures, 3u);
}

}  // namespace
}  // namespace pushgw::pool
