#include "dispatch/circuit_breaker.h"

#include <gtest/gtest.h>

#include <vector>

namespace pushgw::dispatch {
namespace {

using State = CircuitBreaker::State;
using Admit = CircuitBreaker::Admit;
using E = pool::TransportError;

BreakerOptions opts() {
  BreakerOptions o;
  o.consecutive_failures = 3;
  o.window = 10;
  o.min_samples = 10;
  o.failure_ratio = 0.5;
  o.cooldown_ms = 1000;
  o.max_cooldown_ms = 8000;
  o.jitter = 0.5;
  return o;
}

struct Fixture : ::testing::Test {
  ManualClock clock{0};
  double r = 0.0;  // rand01: 0 = no jitter reduction (full cooldown)
  CircuitBreaker b{opts(), clock, [this] { return r; }};
};

TEST_F(Fixture, StaysClosedBelowTheThreshold) {
  b.on_failure(false);
  b.on_failure(false);
  EXPECT_EQ(b.state(), State::Closed);
  EXPECT_EQ(b.admit(), Admit::Send);
  b.on_success(false);  // resets the streak
  b.on_failure(false);
  b.on_failure(false);
  EXPECT_EQ(b.state(), State::Closed);
}

TEST_F(Fixture, OpensAfterConsecutiveFailuresAndHoldsUntilCooldown) {
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  EXPECT_EQ(b.state(), State::Open);
  EXPECT_EQ(b.opens(), 1u);
  EXPECT_EQ(b.admit(), Admit::Hold);
  EXPECT_EQ(b.remaining_ms(), 1000);
  clock.advance_ms(999);
  EXPECT_EQ(b.admit(), Admit::Hold);
  clock.advance_ms(1);
  EXPECT_EQ(b.admit(), Admit::Probe);
  EXPECT_EQ(b.state(), State::HalfOpen);
  // Exactly one probe: everyone else holds until its outcome is known.
  EXPECT_EQ(b.admit(), Admit::Hold);
  EXPECT_EQ(b.admit(), Admit::Hold);
}

TEST_F(Fixture, SuccessfulProbeCloses) {
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  clock.advance_ms(1000);
  ASSERT_EQ(b.admit(), Admit::Probe);
  b.on_success(true);
  EXPECT_EQ(b.state(), State::Closed);
  EXPECT_EQ(b.admit(), Admit::Send);
  // The streak starts over: two failures do not re-open it.
  b.on_failure(false);
  b.on_failure(false);
  EXPECT_EQ(b.state(), State::Closed);
}

TEST_F(Fixture, FailedProbeReopensWithDoubledCooldownUpToTheCap) {
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  int64_t expected[] = {2000, 4000, 8000, 8000};
  for (int64_t want : expected) {
    clock.advance_ms(b.remaining_ms());
    ASSERT_EQ(b.admit(), Admit::Probe);
    b.on_failure(true);
    EXPECT_EQ(b.state(), State::Open);
    EXPECT_EQ(b.remaining_ms(), want);
  }
  // Success resets the cooldown to its base.
  clock.advance_ms(b.remaining_ms());
  ASSERT_EQ(b.admit(), Admit::Probe);
  b.on_success(true);
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  EXPECT_EQ(b.remaining_ms(), 1000);
}

TEST_F(Fixture, JitterShortensTheCooldownWithinBounds) {
  r = 0.999;
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  EXPECT_GE(b.remaining_ms(), 500);
  EXPECT_LT(b.remaining_ms(), 510);
}

TEST_F(Fixture, FailureRatioOpensWithoutAStreak) {
  // Alternate failure/success: never 3 in a row, but 50% of the last 10.
  for (int i = 0; i < 9; ++i) {
    if (i % 2 == 0) b.on_failure(false);
    else b.on_success(false);
    EXPECT_EQ(b.state(), State::Closed) << i;
  }
  b.on_success(false);  // 10 samples, 5 failures: ratio is checked on failures
  EXPECT_EQ(b.state(), State::Closed);
  b.on_failure(false);  // window now holds 5 failures of 10 (oldest dropped)
  EXPECT_EQ(b.state(), State::Open);
}

TEST_F(Fixture, InconclusiveProbeAllowsAnotherProbe) {
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  clock.advance_ms(1000);
  ASSERT_EQ(b.admit(), Admit::Probe);
  b.on_probe_inconclusive();
  EXPECT_EQ(b.admit(), Admit::Probe);
}

TEST_F(Fixture, LateFailuresWhileOpenDoNotExtendIt) {
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  const int64_t before = b.remaining_ms();
  for (int i = 0; i < 100; ++i) b.on_failure(false);
  EXPECT_EQ(b.remaining_ms(), before);
  EXPECT_EQ(b.opens(), 1u);
}

TEST_F(Fixture, ALateSuccessWhileOpenCloses) {
  for (int i = 0; i < 3; ++i) b.on_failure(false);
  b.on_success(false);  // a request sent before it opened was answered
  EXPECT_EQ(b.state(), State::Closed);
}

struct GuardFixture : ::testing::Test {
  ManualClock clock{0};
  OriginGuard g{opts(), clock, [] { return 0.0; }};
};

TEST_F(GuardFixture, APoolFailingItsQueueCountsConnectAttemptsNotRequests) {
  // The pool tried twice and failed 500 queued requests: two failures only.
  for (int i = 0; i < 500; ++i) g.on_transport_error(E::ConnectFailed, 0, 2, false);
  EXPECT_EQ(g.breaker().state(), State::Closed);
  g.on_transport_error(E::ConnectFailed, 0, 3, false);
  EXPECT_EQ(g.breaker().state(), State::Open);
  EXPECT_EQ(g.last_reason(), "connect_failed");
}

TEST_F(GuardFixture, OneLostConnectionIsOneFailure) {
  for (int i = 0; i < 100; ++i) g.on_transport_error(E::ConnectionLost, 7, 0, false);
  EXPECT_EQ(g.breaker().state(), State::Closed);
  g.on_transport_error(E::Timeout, 8, 0, false);
  EXPECT_EQ(g.breaker().state(), State::Closed);
  g.on_transport_error(E::Timeout, 9, 0, false);
  EXPECT_EQ(g.breaker().state(), State::Open);
  EXPECT_EQ(g.last_reason(), "timeout");
}

TEST_F(GuardFixture, OneStalledConnectionIsOneFailure) {
  for (int i = 0; i < 100; ++i) g.on_transport_error(E::Stalled, 7, 0, false);  // its streams, reported together
  EXPECT_EQ(g.breaker().state(), State::Closed);
  g.on_transport_error(E::Stalled, 8, 0, false);
  g.on_transport_error(E::Stalled, 9, 0, false);
  EXPECT_EQ(g.breaker().state(), State::Open);  // three dead connections in a row
  EXPECT_EQ(g.last_reason(), "connection_stalled");
}

TEST_F(GuardFixture, RefusedStreamsAreNeutral) {
  for (int i = 0; i < 100; ++i) {
    g.on_transport_error(E::RefusedStream, 1, 0, false);
    g.on_transport_error(E::GoawayUnprocessed, 1, 0, false);
  }
  EXPECT_EQ(g.breaker().state(), State::Closed);
}

TEST_F(GuardFixture, HeldJobsAreReleasedWhenAProbeSucceeds) {
  g.on_transport_error(E::TlsVerifyFailed, 0, 3, false);
  ASSERT_EQ(g.breaker().state(), State::Open);
  EXPECT_EQ(g.last_reason(), "tls_verify_failed");
  Batch batch;
  g.hold(SendJob{&batch, 1, 1});
  g.hold(SendJob{&batch, 3, 1});
  clock.advance_ms(1000);
  ASSERT_EQ(g.admit(), CircuitBreaker::Admit::Probe);
  // A failed probe (one more connect attempt) re-opens.
  g.on_transport_error(E::TlsVerifyFailed, 0, 4, true);
  EXPECT_EQ(g.breaker().state(), State::Open);
  clock.advance_ms(g.breaker().remaining_ms());
  ASSERT_EQ(g.admit(), CircuitBreaker::Admit::Probe);
  EXPECT_TRUE(g.on_response(true));
  EXPECT_EQ(g.held().size(), 2u);
}

TEST_F(GuardFixture, FailedProbeCountsEvenWithoutANewPoolAttempt) {
  g.on_transport_error(E::ConnectFailed, 0, 3, false);
  clock.advance_ms(1000);
  ASSERT_EQ(g.admit(), CircuitBreaker::Admit::Probe);
  g.on_transport_error(E::ConnectFailed, 0, 3, true);  // failed from the pool's queue
  EXPECT_EQ(g.breaker().state(), State::Open);
}

// A peer that allowed no stream is a failed connection attempt (the pool
// counts it); a queue timeout adds only the attempts behind it, so a busy
// origin that answers opens nothing, and the reason stays the real failure.
TEST_F(GuardFixture, NoStreamsIsAFailedAttemptAndQueueTimeoutsCountOnlyTheirAttempts) {
  for (int i = 0; i < 100; ++i) g.on_transport_error(E::QueueTimeout, 0, 0, false);
  EXPECT_EQ(g.breaker().state(), State::Closed) << "a busy origin opened its breaker";
  g.on_transport_error(E::NoStreams, 0, 2, false);
  EXPECT_EQ(g.breaker().state(), State::Closed);
  EXPECT_EQ(g.last_reason(), "no_streams");
  g.on_transport_error(E::QueueTimeout, 0, 3, false);
  EXPECT_EQ(g.breaker().state(), State::Open);
  EXPECT_EQ(g.last_reason(), "no_streams");
}

TEST(OriginShare, JobsOverTheCapWaitAndGoOneForEachCompletion) {
  ManualClock clock{0};
  OriginGuard g(BreakerOptions{}, clock, [] { return 0.5; }, OriginLimits{2, true});
  EXPECT_FALSE(g.full());
  g.submitted();
  g.submitted();
  EXPECT_TRUE(g.full());
  Batch batch;
  g.wait(SendJob{&batch, 1, 0});
  g.wait(SendJob{&batch, 2, 0});
  EXPECT_FALSE(g.idle());
  SendJob next;
  ASSERT_TRUE(g.completed(&next));
  EXPECT_EQ(next.idx, 1u);
  EXPECT_EQ(g.waiting().size(), 1u);
  g.submitted();  // the released job went
  EXPECT_TRUE(g.full());
  ASSERT_TRUE(g.completed(&next));
  EXPECT_EQ(next.idx, 2u);
  EXPECT_FALSE(g.completed(&next)) << "nothing left waiting";
  EXPECT_EQ(g.in_flight(), 0u);
  EXPECT_TRUE(g.idle());
}

TEST(OriginShare, OnlyAnAttackerChosenOriginFailsFastOnACertificate) {
  ManualClock clock{0};
  OriginGuard web(BreakerOptions{}, clock, [] { return 0.5; }, OriginLimits{0, true});
  OriginGuard apns(BreakerOptions{}, clock, [] { return 0.5; }, OriginLimits{});
  for (OriginGuard* g : {&web, &apns}) {
    EXPECT_FALSE(g->fail_fast());
    g->on_transport_error(E::TlsVerifyFailed, 0, 3, false);
    ASSERT_EQ(g->breaker().state(), State::Open);
  }
  EXPECT_TRUE(web.fail_fast());
  EXPECT_FALSE(apns.fail_fast());
  EXPECT_FALSE(web.full()) << "no cap given: no cap";
}

// An APNs/FCM pool's guard has no share: its waiting jobs are the sender's
// build-ahead backlog (StreamBacklogs), which a completion does not hand
// back (the sender builds them when the pool's queue shrinks).
TEST(OriginShare, AGuardWithoutAShareHandsNoWaitingJobBack) {
  ManualClock clock{0};
  OriginGuard g(BreakerOptions{}, clock, [] { return 0.5; });
  g.submitted();
  Batch batch;
  g.wait(SendJob{&batch, 1, 0}, 42);
  SendJob next;
  EXPECT_FALSE(g.completed(&next));
  ASSERT_EQ(g.waiting().size(), 1u);
  EXPECT_EQ(g.waiting().front().job.idx, 1u);
  EXPECT_EQ(g.waiting().front().since_ns, 42);
  EXPECT_FALSE(g.idle());
}

// Attacker-chosen origins share half the sender's window (UntrustedWindow):
// once their requests fill it, a job of any of them waits, even of one with
// nothing in flight, and each of their completions hands one waiting job
// over, taking turns between origins. A trusted (APNs/FCM) guard has no
// part in it.
TEST(UntrustedWindowTest, ManyOriginsCannotTakeMoreThanTheirPartAndWakeEachOther) {
  ManualClock clock{0};
  UntrustedWindow window(3);
  OriginLimits limits;
  limits.max_in_flight = 2;  // each origin's own share
  limits.attacker_chosen = true;
  limits.window = &window;
  OriginGuard a(BreakerOptions{}, clock, [] { return 0.5; }, limits);
  OriginGuard b(BreakerOptions{}, clock, [] { return 0.5; }, limits);
  OriginGuard c(BreakerOptions{}, clock, [] { return 0.5; }, limits);
  OriginGuard trusted(BreakerOptions{}, clock, [] { return 0.5; });
  size_t total = 0;
  for (OriginGuard* g : {&a, &b, &c}) g->count_into(&total);
  Batch batch;

  a.submitted();
  a.submitted();
  EXPECT_TRUE(a.full());   // its own share
  EXPECT_FALSE(b.full());
  b.submitted();           // the third: the window is full
  EXPECT_TRUE(b.full());
  EXPECT_TRUE(c.full()) << "nothing of c's in flight, but the window is full";
  EXPECT_FALSE(trusted.full());
  c.wait(SendJob{&batch, 1, 0});
  c.wait(SendJob{&batch, 2, 0});
  b.wait(SendJob{&batch, 10, 0});
  EXPECT_EQ(total, 3u);
  // c waits for the window, not for itself (UntrustedBacklog does not judge
  // an origin on such jobs).
  EXPECT_TRUE(c.window_queued());
  EXPECT_FALSE(a.window_queued());

  SendJob next;
  ASSERT_TRUE(a.completed(&next)) << "a's completion frees a place for c, which waited first";
  EXPECT_EQ(next.idx, 1u);
  EXPECT_EQ(total, 2u);
  c.submitted();  // the handed-over job went
  ASSERT_TRUE(a.completed(&next)) << "then b's turn, not c's second job";
  EXPECT_EQ(next.idx, 10u);
  b.submitted();
  ASSERT_TRUE(b.completed(&next));
  EXPECT_EQ(next.idx, 2u);
  EXPECT_FALSE(c.window_queued()) << "its last waiting job was handed over";
  c.submitted();
  EXPECT_EQ(total, 0u);
  EXPECT_FALSE(b.completed(&next)) << "nothing waits";
  EXPECT_EQ(window.in_flight(), 2u);

  // An origin with requests in flight and jobs waiting takes its turn with
  // the others instead of keeping every place its completions free.
  a.submitted();  // the window is full again: a 1, b 0, c 2
  b.wait(SendJob{&batch, 30, 0});
  a.wait(SendJob{&batch, 40, 0});
  a.wait(SendJob{&batch, 41, 0});
  ASSERT_TRUE(a.completed(&next));
  EXPECT_EQ(next.idx, 30u) << "b waited first, though a's own request freed the place";
  b.submitted();
  ASSERT_TRUE(b.completed(&next));
  EXPECT_EQ(next.idx, 40u);
  a.submitted();
  ASSERT_TRUE(a.completed(&next));
  EXPECT_EQ(next.idx, 41u);
  a.submitted();
  EXPECT_EQ(total, 0u);

  // A guard whose pool is closed leaves the window's queue.
  c.wait(SendJob{&batch, 20, 0});  // the window is full: c is queued
  window.forget(&c);
  EXPECT_FALSE(a.completed(&next)) << "no guard is queued any more, and a has nothing waiting";
}

// The queue jobs wait in: first in, first out across growth and wrap-around,
// and emptied it keeps no more than kKeep entries' storage.
TEST(WaitQueueTest, KeepsArrivalOrderAcrossGrowthAndWrapAround) {
  Batch batch;
  WaitQueue q;
  uint32_t next_in = 0, next_out = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5000; ++i) q.push_back(WaitingJob{SendJob{&batch, next_in++, 0}, 0});
    for (int i = 0; i < 3000; ++i) {
      ASSERT_EQ(q.front().job.idx, next_out++);
      q.pop_front();
    }
  }
  EXPECT_EQ(q.size(), 6000u);
  std::vector<uint32_t> seen;
  q.for_each([&](const WaitingJob& w) { seen.push_back(w.job.idx); });
  ASSERT_EQ(seen.size(), 6000u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], next_out + i);
  while (!q.empty()) {
    ASSERT_EQ(q.front().job.idx, next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
  q.push_back(WaitingJob{SendJob{&batch, 7, 0}, 0});
  EXPECT_EQ(q.front().job.idx, 7u);
  q.clear();
  EXPECT_TRUE(q.empty());
}

// Consecutive recipients of a batch that began to wait together are one
// run; anything else starts a new one. Jobs come out one by one, in order,
// from either end, with their own attempt counters and since_ns.
TEST(WaitQueueTest, StoresConsecutiveRecipientsAsRuns) {
  Batch a, b;
  WaitQueue q;
  for (uint32_t i = 0; i < 256; ++i) q.push_back(WaitingJob{SendJob{&a, i, 0}, 10});
  EXPECT_EQ(q.size(), 256u);
  EXPECT_EQ(q.runs(), 1u);
  q.push_back(WaitingJob{SendJob{&a, 256, 0}, 11});  // another drain chunk: its own since
  q.push_back(WaitingJob{SendJob{&b, 257, 0}, 11});  // another batch
  q.push_back(WaitingJob{SendJob{&b, 259, 0}, 11});  // not the next recipient
  SendJob retry{&b, 260, 2};
  retry.resent = 1;
  q.push_back(WaitingJob{retry, 0});
  EXPECT_EQ(q.runs(), 5u);
  EXPECT_EQ(q.size(), 260u);

  const WaitingJob last = q.back();
  EXPECT_EQ(last.job.batch, &b);
  EXPECT_EQ(last.job.idx, 260u);
  EXPECT_EQ(last.job.attempt, 2);
  EXPECT_EQ(last.job.resent, 1);
  q.pop_back();
  EXPECT_EQ(q.back().job.idx, 259u);

  std::vector<std::pair<const Batch*, uint32_t>> seen;
  std::vector<int64_t> since;
  q.for_each([&](const WaitingJob& w) {
    seen.emplace_back(w.job.batch, w.job.idx);
    since.push_back(w.since_ns);
  });
  ASSERT_EQ(seen.size(), 259u);
  for (uint32_t i = 0; i < 257; ++i) EXPECT_EQ(seen[i], std::make_pair(static_cast<const Batch*>(&a), i));
  EXPECT_EQ(since[255], 10);
  EXPECT_EQ(since[256], 11);
  EXPECT_EQ(seen[257], std::make_pair(static_cast<const Batch*>(&b), 257u));
  EXPECT_EQ(seen[258], std::make_pair(static_cast<const Batch*>(&b), 259u));

  for (uint32_t i = 0; i < 200; ++i) {
    ASSERT_EQ(q.front().job.idx, i);
    q.pop_front();
  }
  EXPECT_EQ(q.runs(), 4u);
  q.push_back(WaitingJob{SendJob{&b, 260, 0}, 11});  // extends the newest run again
  EXPECT_EQ(q.runs(), 4u);
  EXPECT_EQ(q.back().job.idx, 260u);
}

// The housekeeping scan walks a queue only when one of its jobs may have
// reached its expiry or the end of its retry window.
TEST(WaitQueueTest, TellsWhenAJobMayBeDue) {
  Batch lasting, expiring;
  lasting.accepted_ms = 1000;
  expiring.accepted_ms = 2000;
  expiring.expires_at_ms = 5000;
  WaitQueue q;
  EXPECT_FALSE(q.may_be_due(1'000'000, 0)) << "empty";
  q.push_back(WaitingJob{SendJob{&lasting, 0, 0}, 0});
  EXPECT_FALSE(q.may_be_due(4000, 3000));
  EXPECT_TRUE(q.may_be_due(4001, 3000)) << "past accepted + the retry window";
  q.push_back(WaitingJob{SendJob{&expiring, 0, 0}, 0});
  EXPECT_FALSE(q.may_be_due(4999, 300'000));
  EXPECT_TRUE(q.may_be_due(5000, 300'000)) << "at its expiry";
  q.pop_front();
  q.pop_front();
  q.push_back(WaitingJob{SendJob{&lasting, 0, 0}, 0});
  EXPECT_FALSE(q.may_be_due(5000, 300'000)) << "emptied, it forgot the expiry of the job that left";
  q.push_back(WaitingJob{SendJob{&expiring, 0, 0}, 0});
  q.forget_deadlines();  // a scan pushes back the jobs it keeps, which note theirs again
  EXPECT_FALSE(q.may_be_due(5000, 300'000));
}

}  // namespace
}  // namespace pushgw::dispatch
