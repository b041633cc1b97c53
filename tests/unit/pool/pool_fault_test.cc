// Pool under faults: GOAWAY, REFUSED_STREAM, lowered concurrency, refused
// connections, verification failures, missing ALPN, stalled peers.
#include "pool_fixture.h"

namespace pushgw::pool {
namespace {

using testing::run_until;

TEST_F(PoolTest, GoawayStreamsAboveLastIdAreUnprocessedAndNothingIsLost) {
  faults_.goaway_after = 10;  // every connection answers 10 requests, then GOAWAY
  serve_h2();
  auto o = options();
  o.max_connections = 2;
  make_pool(o);
  retry_unprocessed_ = true;
  for (int i = 0; i < 50; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) {
    EXPECT_EQ(c.err, TransportError::None);
    EXPECT_EQ(c.resp.status, 200);
  }
  EXPECT_GT(count(TransportError::GoawayUnprocessed), 0);
  EXPECT_EQ(count(TransportError::ConnectionLost), 0);
  EXPECT_EQ(script_.responses, 50);  // each request processed exactly once
  EXPECT_GE(pool_->stats().goaways, 5u);
}

TEST_F(PoolTest, RefusedStreamsComeBackAndSucceedOnRetry) {
  faults_.refuse_every = 3;
  serve_h2();
  make_pool(options());
  retry_unprocessed_ = true;
  for (int i = 0; i < 60; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) EXPECT_EQ(c.err, TransportError::None);
  EXPECT_GT(count(TransportError::RefusedStream), 0);
  EXPECT_EQ(static_cast<uint64_t>(count(TransportError::RefusedStream)), peer_refused());
  EXPECT_EQ(script_.responses, 60);
  EXPECT_EQ(pool_->stats().connects, 1u);  // REFUSED_STREAM does not cost the connection
}

TEST_F(PoolTest, LoweredMaxConcurrentStreamsIsHonoured) {
  peer_.h2.max_streams = 20;
  faults_.max_streams_after = 30;
  faults_.max_streams_to = 5;
  script_.delay = true;
  peer_.h2.slow_ms = 5;
  serve_h2();
  make_pool(options());
  // The simulator refuses streams above the new limit as soon as it sends
  // the SETTINGS, before the client can know: those come back
  // RefusedStream and are retried, as the dispatcher would.
  retry_unprocessed_ = true;
  for (int i = 0; i < 200; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) EXPECT_EQ(c.err, TransportError::None);
  EXPECT_EQ(peer_max_open(), 20u);    // the first limit was used to the full
  EXPECT_EQ(peer_violations(), 0u);   // never above 5 once the client acknowledged it
  EXPECT_LE(count(TransportError::RefusedStream), 20);  // only streams sent before the client knew
  EXPECT_EQ(script_.responses, 200);
  EXPECT_EQ(pool_->stats().connects, 1u);
}

TEST_F(PoolTest, RefusedConnectionFailsQueuedAfterConsecutiveFailures) {
  const uint16_t port = testing::unused_local_port(&loop_);
  auto o = options();
  o.port = port;
  o.max_connect_failures = 3;
  make_pool(o);
  for (int i = 0; i < 5; ++i) submit();
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) {
    EXPECT_EQ(c.err, TransportError::ConnectFailed);
    EXPECT_EQ(c.conn_id, 0u);
  }
  PoolStats s = pool_->stats();
  EXPECT_EQ(s.connect_failures, 3u);
  EXPECT_EQ(s.connections, 0u);
  EXPECT_EQ(s.queued, 0u);
  // A later request gets one more attempt (after the backoff), not a hang.
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_.back().err, TransportError::ConnectFailed);
}

TEST_F(PoolTest, BadConnectIpIsAConnectFailure) {
  serve_h2();
  auto o = options();
  o.connect_ip = "not-an-ip";
  o.max_connect_failures = 1;
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::ConnectFailed);
}

TEST_F(PoolTest, WrongNameIsTlsVerifyFailed) {
  serve_h2(pki_.issue({"other.example"}, {}));
  ASSERT_TRUE(run_one(options()));
  EXPECT_EQ(calls_[0].err, TransportError::TlsVerifyFailed);
  EXPECT_EQ(to_string(calls_[0].err), "tls_verify_failed");
  EXPECT_TRUE(never_processed(calls_[0].err));
  EXPECT_EQ(pool_->stats().connect_failures, 3u);
  EXPECT_EQ(peer_requests(), 0u);
}

TEST_F(PoolTest, UntrustedCaIsTlsVerifyFailed) {
  serve_h2(pki_.issue({"localhost"}, {"127.0.0.1"}, /*untrusted=*/true));
  ASSERT_TRUE(run_one(options()));
  EXPECT_EQ(calls_[0].err, TransportError::TlsVerifyFailed);
}

TEST_F(PoolTest, NoAlpnIsTlsHandshakeFailed) {
  serve(pki_.issue({"localhost"}, {}), sim::Alpn::None);  // no ALPN at all
  auto o = options();
  o.max_connect_failures = 2;
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::TlsHandshakeFailed);
  EXPECT_EQ(pool_->stats().connect_failures, 2u);
}

TEST_F(PoolTest, StalledStreamTimesOutAndFreesItsSlot) {
  peer_.h2.max_streams = 1;
  serve_h2();
  auto o = options();
  o.request_timeout_ms = 100;
  make_pool(o);
  // The connection is up before the clock matters: under TSan on a busy
  // machine a handshake alone takes longer than the 100 ms timeout, so the
  // first request is sent again until it gets through.
  retry_unprocessed_ = true;
  submit();
  ASSERT_TRUE(flush_and_run_all());
  ASSERT_EQ(calls_[0].err, TransportError::None);
  retry_unprocessed_ = false;
  script_.never_respond = true;
  submit();
  // Waits for the single slot; its own deadline comes first, so it expires
  // in the queue (not in the slot the stalled stream frees at 100 ms).
  submit("/3/device/abc", R"({"aps":{}})", 40);
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[1].err, TransportError::Timeout);
  EXPECT_EQ(calls_[2].err, TransportError::QueueTimeout);
  EXPECT_FALSE(never_processed(TransportError::Timeout));
  // The peer answers again: the same connection carries on (RST freed the slot).
  script_.never_respond = false;
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[3].err, TransportError::None);
  EXPECT_EQ(calls_[3].conn_id, calls_[0].conn_id);
  EXPECT_EQ(pool_->stats().connects, 1u);
}

TEST_F(PoolTest, MissingPingAckClosesTheConnection) {
  serve_h2();
  auto o = options();
  o.ping_interval_ms = 50;
  o.ping_timeout_ms = 50;
  ASSERT_TRUE(run_one(o));
  ASSERT_EQ(calls_[0].err, TransportError::None);
  server_->stall();  // the peer stops reading: no response, no PING ACK
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[1].err, TransportError::Stalled);  // may have been processed: the caller decides
  EXPECT_FALSE(never_processed(TransportError::Stalled));
  ASSERT_TRUE(run_until(&loop_, [&] { return pool_->stats().connections == 0; }));
}

TEST_F(PoolTest, PingKeepsAQuietConnectionAlive) {
  serve_h2();
  auto o = options();
  o.ping_interval_ms = 20;
  o.ping_timeout_ms = 200;
  ASSERT_TRUE(run_one(o));
  // Several ping intervals pass with PINGs answered; the connection stays.
  bool waited = false;
  loop::Timer t(&loop_, [&] { waited = true; });
  t.start(150);
  ASSERT_TRUE(run_until(&loop_, [&] { return waited; }));
  EXPECT_EQ(pool_->stats().connections, 1u);
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[1].conn_id, calls_[0].conn_id);
}

TEST_F(PoolTest, ServerDisappearingLosesOpenStreamsAndRequeuesNothingTwice) {
  script_.never_respond = true;
  serve_h2();
  make_pool(options());
  for (int i = 0; i < 3; ++i) submit();
  pool_->flush();
  ASSERT_TRUE(run_until(&loop_, [&] { return pool_->stats().streams_in_flight == 3; }));
  server_->close();  // RST/EOF under open streams
  ASSERT_TRUE(run_all());
  EXPECT_EQ(count(TransportError::ConnectionLost), 3);
}

TEST_F(PoolTest, HandshakeThatNeverCompletesIsAConnectTimeout) {
  serve_h2();
  server_->stall();  // accepts TCP, never reads the ClientHello
  auto o = options();
  o.connect_timeout_ms = 50;
  o.max_connect_failures = 2;
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::ConnectFailed);
  EXPECT_EQ(pool_->stats().connect_failures, 2u);
  EXPECT_EQ(pool_->stats().handshakes, 0u);
}

TEST_F(PoolTest, Http1TimeoutClosesTheConnection) {
  script_.never_respond = true;
  serve_h1();
  auto o = options();
  o.allow_http1 = true;
  o.request_timeout_ms = 50;
  ASSERT_TRUE(run_one(o));
  EXPECT_EQ(calls_[0].err, TransportError::Timeout);
  script_.never_respond = false;
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[1].err, TransportError::None);
  EXPECT_NE(calls_[1].conn_id, calls_[0].conn_id);  // no way to abandon an HTTP/1.1 request but to close
}

}  // namespace
}  // namespace pushgw::pool
