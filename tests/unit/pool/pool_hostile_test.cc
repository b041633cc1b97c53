// The pool against peers that never free a stream: queued requests have a
// deadline, and a peer that allows no stream at all is a failed connection.
#include <gtest/gtest.h>

#include <chrono>

#include "pool_fixture.h"

namespace pushgw::pool {
namespace {

int64_t mono_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// SETTINGS_MAX_CONCURRENT_STREAMS = 0: the connection is ready but takes
// nothing. Each such connection is a failed attempt; after
// max_connect_failures of them the queue fails, well before its deadline.
TEST_F(PoolTest, PeerAllowingNoStreamIsAFailedConnection) {
  peer_.h2.max_streams = 0;
  serve_h2();
  auto o = options();
  o.no_streams_timeout_ms = 100;
  o.request_timeout_ms = 60000;
  o.max_connect_failures = 2;
  make_pool(o);
  submit();
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[0].err, TransportError::NoStreams);
  EXPECT_EQ(calls_[1].err, TransportError::NoStreams);
  EXPECT_TRUE(never_processed(TransportError::NoStreams));
  EXPECT_EQ(to_string(TransportError::NoStreams), "no_streams");
  EXPECT_EQ(pool_->stats().connect_failures, 2u);
  EXPECT_EQ(peer_requests(), 0u);
}

// A queued request waits for a stream at most request_timeout_ms: the peer
// below takes one stream and never answers, so the second request never
// gets one.
TEST_F(PoolTest, QueuedRequestFailsAtItsDeadline) {
  script_.never_respond = true;
  peer_.h2.max_streams = 1;
  serve_h2();
  auto o = options();
  o.request_timeout_ms = 300;
  make_pool(o);
  const int64_t t0 = mono_ms();
  submit();
  submit();
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(calls_[0].err, TransportError::Timeout);
  EXPECT_EQ(calls_[1].err, TransportError::QueueTimeout);
  EXPECT_TRUE(never_processed(TransportError::QueueTimeout));
  EXPECT_GE(mono_ms() - t0, 300);
  EXPECT_EQ(peer_requests(), 1u) << "the queued one was sent after all";
}

// A request's own deadline (its expiry) comes before the request timeout.
TEST_F(PoolTest, QueuedRequestFailsAtItsOwnEarlierDeadline) {
  peer_.h2.max_streams = 0;
  serve_h2();
  auto o = options();
  o.request_timeout_ms = 60000;
  o.no_streams_timeout_ms = 60000;
  make_pool(o);
  const int64_t t0 = mono_ms();
  Call& c = calls_.emplace_back();
  c.req.path = "/x";
  c.req.not_after_mono_ms = t0 + 200;
  ++c.submits;
  pool_->submit(&c.req, &c.resp, &c);
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(c.err, TransportError::QueueTimeout);
  const int64_t took = mono_ms() - t0;
  EXPECT_GE(took, 200);
  EXPECT_LT(took, 20000) << "waited for the request timeout instead";
  EXPECT_EQ(pool_->stats().connect_failures, 0u) << "not yet a failed connection";
}

}  // namespace
}  // namespace pushgw::pool
