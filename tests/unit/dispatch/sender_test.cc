// dispatch::Sender against fake pools and a fake provider (sender_rig.h): what
// a user sees per recipient (status, reason, HTTP status) and what reached the
// wire, for each rule of the send path.
#include <gtest/gtest.h>

#include "sender_rig.h"

namespace pushgw::dispatch::testing {
namespace {

using E = pool::TransportError;
using H = std::vector<std::pair<std::string, std::string>>;

const ResultSlot& result(Batch* b, size_t i = 0) { return b->results[i]; }

// ---- verdicts --------------------------------------------------------------

struct VerdictCase {
  const char* name;
  Reply reply;
  Status status;
  const char* reason;
  int http_status;
};

class VerdictTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(VerdictTest, EndsTheRecipientWithTheProvidersVerdict) {
  const VerdictCase& c = GetParam();
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [&](const Sent& s) { return s.token == "canary" ? Reply::http(200) : c.reply; };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, c.status);
  EXPECT_EQ(result(b).reason, c.reason);
  EXPECT_EQ(result(b).http_status, c.http_status);
  EXPECT_EQ(rig.wire.submits("tok"), 1);
  EXPECT_EQ(rig.sender->stats().platform[0].of(c.status).load(), 1u);
  EXPECT_EQ(rig.sender->stats().queued.load(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, VerdictTest,
    ::testing::Values(VerdictCase{"delivered", Reply::http(200, H{{"x-id", "abc"}}), Status::Delivered, "", 200},
                      VerdictCase{"invalid", Reply::http(400), Status::Invalid, "BadDeviceToken", 400},
                      VerdictCase{"unsubscribed", Reply::http(410), Status::Unsubscribed, "Unregistered", 410},
                      VerdictCase{"failed", Reply::http(413), Status::Failed, "413", 413}),
    [](const auto& tc) { return std::string(tc.param.name); });

TEST(Sender, DeliveredCarriesTheProvidersIdAndCountsOnce) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Fcm, "shop", "fcm.test:443");
  rig.wire.script = [](const Sent&) { return Reply::http(200, H{{"x-id", "msg-1"}}); };
  rig.start();
  Batch* b = rig.send(app, {"a", "b", "c"});
  ASSERT_TRUE(rig.done(b));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(result(b, i).status, Status::Delivered);
    EXPECT_EQ(result(b, i).id, "msg-1");
  }
  const auto& fcm = rig.sender->stats().platform[static_cast<int>(Platform::Fcm)];
  EXPECT_EQ(fcm.delivered.load(), 3u);
  EXPECT_EQ(fcm.failed.load(), 0u);
  EXPECT_GE(rig.provider(app).begin_drains.load(), 1);
}

TEST(Sender, BuildErrorFailsTheRecipientWithItsCode) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.start();
  Batch* b = rig.send(app, {"unbuildable", "fine"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b, 0).status, Status::Failed);
  EXPECT_EQ(result(b, 0).reason, "payload_too_large");
  EXPECT_EQ(result(b, 1).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("unbuildable"), 0);
}

TEST(Sender, CloseConnectionRetiresItAndARejectedCredentialIsRefreshed) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 2;
  rig.wire.script = [](const Sent& s) {
    if (s.token == "tok" && s.n == 0) return Reply::http(403, H{{"x-refresh", "1"}, {"x-close", "1"}});
    return Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.provider(app).credentials_rejected.load() == 1; }));
  rig.advance(250);  // an ordinary backoff (the provider asked for no Retry-After)
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("tok"), 2);
  EXPECT_EQ(rig.provider(app).credentials_rejected.load(), 1);
  EXPECT_EQ(rig.wire.retired(), std::vector<uint32_t>{7});
}

TEST(Sender, ACredentialReplacedAtOnceIsResentWithoutUsingUpAnAttempt) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 1;  // no attempt left: only a free resend can deliver
  rig.provider(app).on_rejected = CredentialRetry::Resend;
  rig.wire.script = [](const Sent& s) {
    if (s.n == 0) return Reply::http(403, H{{"x-refresh", "1"}, {"x-close", "1"}});
    return Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"a", "b", "c"});
  ASSERT_TRUE(rig.done(b));  // no clock movement needed: resent at once
  for (int i = 0; i < 3; ++i) EXPECT_EQ(result(b, i).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("a"), 2);
  EXPECT_EQ(rig.provider(app).credentials_rejected.load(), 3);
  EXPECT_EQ(rig.wire.retired().size(), 3u);  // the connection that answered 403 is drained
}

TEST(Sender, ACredentialRejectedForeverIsResentAFewTimesThenRetriedAsATransientFailure) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 2;
  rig.provider(app).on_rejected = CredentialRetry::Resend;  // a provider that keeps saying "replaced"
  rig.wire.script = [](const Sent& s) {
    return s.token == "tok" ? Reply::http(403, H{{"x-refresh", "1"}}) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.submits("tok") == 1 + RetryQueue::kMaxFreeResends; }));
  rig.barrier();
  EXPECT_FALSE(rig.is_done(b));  // then an ordinary backoff
  rig.advance(250);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Failed);
  EXPECT_EQ(result(b).reason, "ExpiredProviderToken");
  // The cap is per job: the second attempt gets no free resend.
  EXPECT_EQ(rig.wire.submits("tok"), 2 + RetryQueue::kMaxFreeResends);
}

TEST(Sender, AFreshCredentialRejectedTooFailsTheRequestAtOnce) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.provider(app).on_rejected = CredentialRetry::FailFirst;
  rig.wire.script = [](const Sent&) { return Reply::http(403, H{{"x-refresh", "1"}, {"x-close", "1"}}); };
  rig.start();
  Batch* b = rig.send(app, {"a", "b"});
  ASSERT_TRUE(rig.done(b));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(result(b, i).status, Status::Failed);
    EXPECT_EQ(result(b, i).reason, "credential_rejected");
    EXPECT_EQ(result(b, i).http_status, 403);
  }
  EXPECT_EQ(rig.wire.submits("a"), 1);  // no loop
  EXPECT_TRUE(rig.wire.retired().empty());  // nothing to gain from a new connection
}

TEST(Sender, RequestsOfAStalledConnectionGoAgainAtOnceWithoutUsingUpAttempts) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 1;  // only a free resend can deliver
  rig.wire.script = [](const Sent& s) {
    return s.n == 0 ? Reply::error(pool::TransportError::Stalled) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"a", "b", "c"});
  ASSERT_TRUE(rig.done(b));  // at once: no clock movement
  for (int i = 0; i < 3; ++i) EXPECT_EQ(result(b, i).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("a"), 2);
  EXPECT_EQ(rig.sender->stats().platform[static_cast<int>(Platform::Apns)].retried.load(), 3u);
}

TEST(Sender, APeerThatStallsEveryConnectionEndsInTheAttemptsPath) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 2;
  rig.wire.script = [](const Sent& s) {
    return s.token == "tok" ? Reply::error(pool::TransportError::Stalled) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.submits("tok") == 1 + RetryQueue::kMaxFreeResends; }));
  rig.barrier();
  EXPECT_FALSE(rig.is_done(b));  // now an ordinary backoff
  rig.advance(250);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Failed);
  EXPECT_EQ(result(b).reason, "connection_stalled");
  EXPECT_EQ(rig.wire.submits("tok"), 2 + RetryQueue::kMaxFreeResends);
}

// ---- retry and backoff ------------------------------------------------------

TEST(Sender, BackoffDoublesPerAttemptAndGivesUpAfterMaxAttempts) {
  SenderRig rig;  // jitter pinned at its ceiling: waits of 250, 500 ms
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 3;
  rig.wire.script = [](const Sent& s) { return s.token == "tok" ? Reply::http(500) : Reply::http(200); };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  rig.barrier();
  EXPECT_EQ(rig.wire.submits("tok"), 1);
  rig.advance(249);
  rig.barrier();
  EXPECT_EQ(rig.wire.submits("tok"), 1) << "resent before its backoff";
  rig.advance(1);
  rig.barrier();
  EXPECT_EQ(rig.wire.submits("tok"), 2);
  rig.advance(499);
  rig.barrier();
  EXPECT_EQ(rig.wire.submits("tok"), 2) << "the second backoff did not double";
  rig.advance(1);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(rig.wire.submits("tok"), 3);
  EXPECT_EQ(result(b).status, Status::Failed);
  EXPECT_EQ(result(b).reason, "InternalServerError");
  EXPECT_EQ(result(b).http_status, 500);
  EXPECT_EQ(rig.sender->stats().platform[0].retried.load(), 2u);
}

TEST(Sender, RetryAfterIsHonoured) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) {
    if (s.token == "tok" && s.n == 0) return Reply::http(503, H{{"retry-after", "30"}});
    return Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  rig.barrier();
  rig.advance(29'999);
  rig.barrier();
  EXPECT_EQ(rig.wire.submits("tok"), 1) << "resent before Retry-After";
  rig.advance(1);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("tok"), 2);
}

TEST(Sender, RetryAfterBeyondTheRetryWindowGivesUpAtOnce) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_retry_seconds = 10;
  rig.wire.script = [](const Sent&) { return Reply::http(429, H{{"retry-after", "60"}}); };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Failed);
  EXPECT_EQ(result(b).reason, "TooManyRequests");
  EXPECT_EQ(rig.wire.submits("tok"), 1);
}

// Requests the peer never processed are resent at once and do not use up
// attempts (max_attempts = 1 leaves none to use); a connection lost with the
// request on it does.
struct TransportCase {
  const char* name;
  E err;
  int failures;  // how many submits fail before a 200
  Status status;
  const char* reason;
  int submits;
};

class TransportErrorTest : public ::testing::TestWithParam<TransportCase> {};

TEST_P(TransportErrorTest, ResendsOnlyWhatThePeerNeverProcessed) {
  const TransportCase& c = GetParam();
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 1;
  rig.wire.script = [&](const Sent& s) {
    return s.token == "tok" && s.n < c.failures ? Reply::error(c.err) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, c.status);
  EXPECT_EQ(result(b).reason, c.reason);
  EXPECT_EQ(rig.wire.submits("tok"), c.submits);
}

INSTANTIATE_TEST_SUITE_P(
    Table, TransportErrorTest,
    ::testing::Values(
        TransportCase{"refused_stream", E::RefusedStream, 5, Status::Delivered, "", 6},
        TransportCase{"goaway_unprocessed", E::GoawayUnprocessed, 5, Status::Delivered, "", 6},
        // A peer that refuses forever: after 64 free resends it counts as an attempt.
        TransportCase{"refused_forever", E::RefusedStream, 1000, Status::Failed, "refused_stream",
                      RetryQueue::kMaxUnprocessedResends + 1},
        TransportCase{"connection_lost", E::ConnectionLost, 1, Status::Failed, "connection_lost", 1},
        // Found dead by PING: resent at once without an attempt, a few times.
        TransportCase{"stalled", E::Stalled, 1, Status::Delivered, "", 2},
        TransportCase{"stalled_forever", E::Stalled, 1000, Status::Failed, "connection_stalled",
                      RetryQueue::kMaxFreeResends + 1},
        TransportCase{"timeout", E::Timeout, 1, Status::Failed, "timeout", 1}),
    [](const auto& tc) { return std::string(tc.param.name); });

TEST(Sender, FreeResendsLeaveTheAttemptsForRealFailures) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.deps.delivery.max_attempts = 2;
  rig.wire.script = [](const Sent& s) {
    if (s.token != "tok") return Reply::http(200);
    if (s.n < 3) return Reply::error(s.n % 2 ? E::GoawayUnprocessed : E::RefusedStream);
    return s.n == 3 ? Reply::http(500) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.submits("tok") == 4; }));
  rig.advance(250);  // the 500's backoff: its one retry is still allowed
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("tok"), 5);
}

// ---- circuit breaker -------------------------------------------------------

TEST(Sender, CircuitBreakerOpensHoldsJobsAndProbesOneAtATime) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "down.test:443");
  std::atomic<bool> down{true};
  rig.wire.script = [&](const Sent& s) {
    if (s.host == "down.test" && down.load()) return Reply::error(E::ConnectFailed);
    return Reply::http(200);
  };
  rig.start();
  // Three connection failures in a row open the breaker (each also schedules a retry).
  Batch* first = rig.send(app, {"a", "b", "c"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().platform[0].retried.load() == 3; }));
  // Open: new jobs and due retries are held, nothing reaches the origin.
  Batch* later = rig.send(app, {"d", "e"});
  rig.advance(250);  // the first retries fall due
  rig.barrier();
  auto origin_submits = [&] {
    int n = 0;
    for (const Sent& s : rig.wire.log()) n += s.host == "down.test";
    return n;
  };
  EXPECT_EQ(origin_submits(), 3) << "sent while the breaker was open";
  const uint64_t turns = rig.sender->stats().loop_turns.load();  // housekeeping ran: no early probe
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().loop_turns.load() >= turns + 2; }));
  EXPECT_EQ(origin_submits(), 3) << "probed before the cooldown";
  // Cooldown over: housekeeping sends exactly one probe; it fails, back to held.
  rig.advance(1000);
  ASSERT_TRUE(SenderRig::eventually([&] { return origin_submits() == 4; }));
  rig.barrier();
  EXPECT_EQ(origin_submits(), 4) << "more than one probe";
  EXPECT_FALSE(rig.is_done(first));
  EXPECT_FALSE(rig.is_done(later));
  // The origin is back: the next probe closes the breaker and everything goes.
  down = false;
  rig.advance(2000);  // the reopened cooldown doubled
  ASSERT_TRUE(rig.done(first));
  ASSERT_TRUE(rig.done(later));
  for (Batch* b : {first, later})
    for (const ResultSlot& r : b->results) EXPECT_EQ(r.status, Status::Delivered);
  // The probes and the holds used up no attempts: a, b, c failed once each.
  EXPECT_EQ(rig.sender->stats().platform[0].retried.load(), 3u);
}

TEST(Sender, HeldJobsStillExpire) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "down.test:443");
  rig.wire.script = [](const Sent& s) {
    return s.host == "down.test" ? Reply::error(E::ConnectFailed) : Reply::http(200);
  };
  rig.start();
  Batch* opener = rig.send(app, {"a", "b", "c"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().platform[0].retried.load() == 3; }));
  BatchOptions o;
  o.expires_in_ms = 300;
  Batch* b = rig.send(app, {"held"}, o);
  rig.barrier();
  EXPECT_EQ(rig.wire.submits("held"), 0);
  rig.advance(5000);  // past its expiry; the housekeeping scan ends it
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Expired);
  EXPECT_EQ(result(b).reason, "expired");
  EXPECT_EQ(rig.wire.submits("held"), 0);
  rig.stop(0);
  EXPECT_TRUE(rig.is_done(opener));
}

// ---- parking ---------------------------------------------------------------

// Parked before anything else when the provider says it has no credential
// (credential_ready), or after build() failed for it.
TEST(Sender, ParksForACredentialWithoutUsingAnAttempt) {
  for (bool reports : {true, false}) {
    SenderRig rig;
    const uint16_t app = rig.add_app(Platform::Fcm, "shop", "fcm.test:443");
    rig.deps.delivery.max_attempts = 1;
    rig.provider(app).credential_missing = true;
    rig.provider(app).reports_credential = reports;
    rig.start();
    Batch* b = rig.send(app, {"tok"});
    rig.advance(1000);
    rig.barrier();
    EXPECT_EQ(rig.wire.submits("tok"), 0);
    EXPECT_FALSE(rig.is_done(b));
    rig.provider(app).credential_missing = false;
    rig.sender->inbox().credentials_changed();  // what the OAuth refresher does after a new token
    ASSERT_TRUE(rig.done(b)) << "reports " << reports;
    EXPECT_EQ(result(b).status, Status::Delivered);
    EXPECT_EQ(rig.wire.submits("tok"), 1);
  }
}

// While the token endpoint is down, parked jobs are looked at once per
// RetryQueue::kParkLookMs, not every 100 ms (a full share of them looked at
// ten times a second kept the sender busy); a credential that arrives sends
// them at once, without waiting for the next look.
TEST(Sender, ParkedJobsAreLookedAtOnceASecondAndGoWhenTheCredentialArrives) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Fcm, "shop", "fcm.test:443");
  rig.provider(app).credential_missing = true;
  rig.start();
  Batch* b = rig.send(app, numbered_tokens(100));
  rig.barrier();
  ASSERT_EQ(rig.provider(app).credential_checks.load(), 100);
  rig.advance(RetryQueue::kParkLookMs - 1);
  // The retry timer runs on the loop's own clock: give it time to fire and
  // find nothing due on the test clock.
  std::this_thread::sleep_for(std::chrono::milliseconds(RetryQueue::kParkLookMs + 200));
  rig.barrier();
  EXPECT_EQ(rig.provider(app).credential_checks.load(), 100) << "parked jobs were looked at before their look";
  rig.advance(1);
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.provider(app).credential_checks.load() == 200; }));
  EXPECT_FALSE(rig.is_done(b));
  rig.provider(app).credential_missing = false;
  rig.sender->inbox().credentials_changed();  // the clock stays: the credential alone sends them
  ASSERT_TRUE(rig.done(b));
  for (const ResultSlot& r : b->results) EXPECT_EQ(r.status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("t0"), 1);
}

TEST(Sender, ParkedForACredentialFailsAfterTheRetryWindow) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Fcm, "shop", "fcm.test:443");
  rig.deps.delivery.max_retry_seconds = 10;
  rig.provider(app).credential_missing = true;
  rig.start();
  Batch* b = rig.send(app, {"tok"});
  rig.barrier();
  rig.advance(10'001);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Failed);
  EXPECT_EQ(result(b).reason, "credential_unavailable");
  EXPECT_EQ(rig.wire.submits("tok"), 0);
}

TEST(Sender, WebPushWaitsForItsOriginToResolveAndPinsTheAddress) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::WebPush, "site", "localhost:4443", /*allow_private=*/true);
  rig.start();
  Batch* b = rig.send(app, {"sub-1", "sub-2"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b, 0).status, Status::Delivered);
  EXPECT_EQ(result(b, 1).status, Status::Delivered);
  std::lock_guard<std::mutex> g(rig.pools_mu);
  bool pinned = false;
  for (const auto& o : rig.pools_made)
    if (o.host == "localhost")
      pinned = o.port == 4443 && (o.connect_ip == "127.0.0.1" || o.connect_ip == "::1");
  EXPECT_TRUE(pinned) << "no pool pinned to the resolved loopback address";
}

struct RefusedCase {
  const char* name;
  const char* origin;
};

class RefusedOriginTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedOriginTest, NeverReachesThePool) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::WebPush, "site", GetParam().origin);
  rig.start();
  Batch* b = rig.send(app, {"sub"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Failed);
  EXPECT_EQ(result(b).reason, "endpoint_refused");
  EXPECT_EQ(rig.wire.submits("sub"), 0);
}

INSTANTIATE_TEST_SUITE_P(Table, RefusedOriginTest,
                         ::testing::Values(RefusedCase{"private_literal", "10.1.2.3:443"},
                                           RefusedCase{"loopback_name", "localhost:443"}),
                         [](const auto& tc) { return std::string(tc.param.name); });

// ---- expiry ----------------------------------------------------------------

TEST(Sender, ExpiredRecipientsAreNeverSent) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.start();
  BatchOptions past;
  past.expires_in_ms = -1;
  Batch* b = rig.send(app, {"late"}, past);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Expired);
  EXPECT_EQ(result(b).reason, "expired");
  EXPECT_EQ(rig.wire.submits("late"), 0);
  EXPECT_EQ(rig.sender->stats().platform[0].expired.load(), 1u);
}

// APNs "expiration" reaches the sender as the batch's expires_at (ingest sets
// the earlier of the two): a retry is not scheduled past it, and a retry due
// after it is not sent.
TEST(Sender, NoRetryPastTheExpiry) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) {
    if (s.token == "soon" && s.n == 0) return Reply::http(503, H{{"retry-after", "5"}});
    if (s.token == "later" && s.n == 0) return Reply::http(503);
    return Reply::http(200);
  };
  rig.start();
  BatchOptions o;
  o.expires_in_ms = 2000;
  Batch* soon = rig.send(app, {"soon"}, o);  // Retry-After 5 s > 2 s to expiry: give up now
  ASSERT_TRUE(rig.done(soon));
  EXPECT_EQ(result(soon).status, Status::Failed);
  EXPECT_EQ(result(soon).reason, "ServiceUnavailable");
  EXPECT_EQ(rig.wire.submits("soon"), 1);
  BatchOptions o2;
  o2.expires_in_ms = 200;  // backoff 250 ms would land after it
  Batch* later = rig.send(app, {"later"}, o2);
  ASSERT_TRUE(rig.done(later));
  EXPECT_EQ(result(later).status, Status::Failed);
  EXPECT_EQ(rig.wire.submits("later"), 1);
}

// A request that waited in its pool's queue for a stream until its expiry
// (its deadline there) was never sent: it ends expired, as a job that expires
// before it is built. A queue timeout before the expiry is retried.
TEST(Sender, ARequestThatWaitedForAStreamUntilItsExpiryEndsExpired) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [&rig](const Sent& s) {
    if (s.token == "stuck") {
      rig.advance(s.not_after_mono_ms - rig.clock.now_ms());  // its deadline in the pool came
      return Reply::error(pool::TransportError::QueueTimeout);
    }
    if (s.token == "slow" && s.n == 0) return Reply::error(pool::TransportError::QueueTimeout);
    return Reply::http(200);
  };
  rig.start();
  BatchOptions o;
  o.expires_in_ms = 5000;
  Batch* stuck = rig.send(app, {"stuck"}, o);
  ASSERT_TRUE(rig.done(stuck));
  EXPECT_EQ(result(stuck).status, Status::Expired);
  EXPECT_EQ(result(stuck).reason, "expired");
  EXPECT_EQ(rig.wire.submits("stuck"), 1);
  EXPECT_EQ(rig.sender->stats().platform[0].expired.load(), 1u);
  Batch* slow = rig.send(app, {"slow"}, o);  // the pool's own queue timeout, well before the expiry
  rig.barrier();
  rig.advance(1000);
  ASSERT_TRUE(rig.done(slow));
  EXPECT_EQ(result(slow).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("slow"), 2);
}

// ---- suppression and caps (with a store) -----------------------------------

// A SQLite store in a temporary directory (2 producers: the sender is 0).
class StoreRig {
 public:
  explicit StoreRig(const Clock& clock, store::StoreOptions opt = {}) : clock_(clock), opt_(opt) { reopen(); }
  void reopen() {
    store.reset();
    store::StoreConfig cfg;
    cfg.path = dir_.file("pushgw.db");
    auto s = store::open_store(cfg, 2, clock_, store::testing::quiet_logger(), opt_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store = std::move(s.value());
  }
  store::testing::TempDir dir_;
  const Clock& clock_;
  store::StoreOptions opt_;
  std::unique_ptr<store::Store> store;
};

TEST(Sender, SuppressedTokensAreNotSentUnlessRegisteredAgain) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  StoreRig st(rig.clock);
  st.store->start();
  store::Outcome dead;
  dead.platform = Platform::Apns;
  dead.app = "shop";
  dead.token = "dead";
  dead.kind = store::Kind::Unsubscribed;
  dead.since_ms = rig.clock.now_ms() - 1000;
  ASSERT_TRUE(st.store->record(1, dead));
  rig.deps.store = st.store.get();
  rig.start();
  Batch* b = rig.send(app, {"dead", "alive"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b, 0).status, Status::Suppressed);
  EXPECT_EQ(result(b, 0).reason, "suppressed");
  EXPECT_EQ(result(b, 1).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("dead"), 0);
  // Registered after the 410: sent, and no longer suppressed afterwards.
  BatchOptions again;
  again.registered_at_ms = rig.clock.now_ms();
  Batch* b2 = rig.send(app, {"dead"}, again);
  ASSERT_TRUE(rig.done(b2));
  EXPECT_EQ(result(b2).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("dead"), 1);
  EXPECT_EQ(st.store->check(Platform::Apns, "shop", "dead"), store::Store::Check::Clear);
  rig.stop(0);
}

TEST(Sender, MarketingCapsLimitSendsAndAreRecorded) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  StoreRig st(rig.clock);
  st.store->start();
  CapTable caps(CapLimits{1, 0});
  rig.deps.store = st.store.get();
  rig.deps.caps = &caps;
  rig.deps.allow_cap_override = true;
  rig.start();
  BatchOptions mk;
  mk.marketing = true;
  mk.campaign = "spring";
  Batch* first = rig.send(app, {"tok"}, mk);
  ASSERT_TRUE(rig.done(first));
  Batch* second = rig.send(app, {"tok"}, mk);
  ASSERT_TRUE(rig.done(second));
  BatchOptions overridden = mk;
  overridden.cap_override = true;
  Batch* third = rig.send(app, {"tok"}, overridden);
  ASSERT_TRUE(rig.done(third));
  Batch* transactional = rig.send(app, {"tok"});
  ASSERT_TRUE(rig.done(transactional));
  EXPECT_EQ(result(first).status, Status::Delivered);
  EXPECT_EQ(result(second).status, Status::Capped);
  EXPECT_EQ(result(second).reason, "capped");
  EXPECT_EQ(result(third).status, Status::Delivered);
  EXPECT_EQ(result(transactional).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("tok"), 3);
  EXPECT_EQ(rig.sender->stats().platform[0].capped.load(), 1u);
  rig.stop(0);
  // The campaign's report counts the capped recipient, which was never sent.
  auto report = store::testing::await<Result<store::CampaignReport>>(
      [&](auto cb) { st.store->campaigns().campaign("spring", std::move(cb)); });
  ASSERT_TRUE(report && report->ok());
  EXPECT_EQ(report->value().capped, 1u);
  EXPECT_EQ(report->value().delivered, 2u);
  // The admitted marketing send (only the first: an override is not counted)
  // is in the store, so the caps survive a restart.
  ASSERT_TRUE(store::testing::wait_commit(*st.store));
  rig.sender.reset();
  st.reopen();
  int loaded = 0;
  ASSERT_TRUE(st.store->campaigns().load_marketing_sends(0, [&](uint64_t, int64_t) { ++loaded; }).ok());
  EXPECT_EQ(loaded, 1);
}

// ---- drain and stop ----------------------------------------------------------

TEST(Sender, GracefulStopWaitsForRetriesUntilTheDeadline) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) {
    return s.token == "slow" ? Reply::http(503, H{{"retry-after", "30"}}) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(app, {"slow", "quick"});
  rig.barrier();
  rig.sender->inbox().request_stop(rig.clock.mono_ns() + 10'000'000'000);  // 10 s from now
  rig.barrier();
  EXPECT_FALSE(rig.sender->inbox().stopped());
  EXPECT_FALSE(rig.is_done(b));
  rig.advance(10'000);
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().stopped(); }));
  rig.stop(0);
  ASSERT_TRUE(rig.is_done(b));
  EXPECT_EQ(result(b, 0).status, Status::Failed);
  EXPECT_EQ(result(b, 0).reason, "shutdown");
  EXPECT_EQ(result(b, 1).status, Status::Delivered);
}

TEST(Sender, StopAtTheDeadlineFailsEverythingLeftWithShutdown) {
  SenderRig rig;
  const uint16_t shop = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  const uint16_t down = rig.add_app(Platform::Apns, "down", "down.test:443");
  const uint16_t fcm = rig.add_app(Platform::Fcm, "fcm", "fcm.test:443");
  rig.deps.max_in_flight = 2;
  rig.wire.script = [](const Sent& s) {
    if (s.host == "down.test") return Reply::error(E::ConnectFailed);
    if (s.token == "retry") return Reply::http(503, H{{"retry-after", "60"}});
    if (s.token.rfind("hang", 0) == 0) return Reply::hanging();
    return Reply::http(200);
  };
  rig.provider(fcm).credential_missing = true;
  rig.start();
  Batch* opener = rig.send(down, {"x", "y", "z"});  // opens down.test's breaker
  Batch* waiting = rig.send(shop, {"retry"});       // waits 60 s for a retry
  Batch* parked = rig.send(fcm, {"parked"});        // waits for a credential
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().platform[0].retried.load() == 4; }));
  rig.barrier();
  Batch* held = rig.send(down, {"held"});  // held by the open breaker
  Batch* hung = rig.send(shop, {"hang1", "hang2"});  // fills the in-flight window
  Batch* queued = rig.send(shop, {"queued"});        // stays in the ring
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.submits("hang2") == 1; }));
  rig.stop(0);
  for (Batch* b : {opener, waiting, parked, held, hung, queued}) {
    ASSERT_TRUE(rig.is_done(b));
    for (const ResultSlot& r : b->results) {
      EXPECT_EQ(r.status, Status::Failed);
      EXPECT_EQ(r.reason, "shutdown");
    }
  }
  EXPECT_EQ(rig.wire.submits("queued"), 0);
  EXPECT_EQ(rig.wire.submits("held"), 0);
  EXPECT_EQ(rig.sender->stats().queued.load(), 0u);
}

// After SIGTERM a failure that would wait is no verdict on the notification:
// it ends as "shutdown" at once (replayed after a restart with a spool),
// while a resend the peer never processed still goes.
TEST(Sender, FailuresAfterAStopRequestEndAsShutdownInsteadOfWaiting) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) {
    if (s.token == "hang") return Reply::hanging();  // keeps the sender from stopping while idle
    if (s.token == "busy") return Reply::http(503);
    if (s.token == "refused" && s.n == 0) return Reply::error(E::RefusedStream);
    return Reply::http(200);
  };
  rig.start();
  Batch* hung = rig.send(app, {"hang"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.submits("hang") == 1; }));
  rig.sender->inbox().request_stop(rig.clock.mono_ns() + 60'000'000'000);  // a minute to drain
  Batch* b = rig.send(app, {"busy", "refused"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b, 0).status, Status::Failed);
  EXPECT_EQ(result(b, 0).reason, "shutdown");
  EXPECT_EQ(rig.wire.submits("busy"), 1);
  EXPECT_EQ(result(b, 1).status, Status::Delivered);
  EXPECT_EQ(rig.wire.submits("refused"), 2);
  rig.stop(0);
  ASSERT_TRUE(rig.is_done(hung));
  EXPECT_EQ(result(hung).reason, "shutdown");
}

// ---- back-pressure -----------------------------------------------------------

// The store thread is not running, so its ring for this sender (8 slots)
// fills: the sender must keep its loop turning (no sleeping on it), stop
// taking jobs from the ingest ring, and finish everything once the store
// drains. A waited batch completes only after its outcomes reached the store.
TEST(Sender, BackPressureWhenTheOutcomeRingIsFull) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  store::StoreOptions small;
  small.ring_slots = 8;
  small.commit_interval_ms = 1;  // a slot frees only when its outcome commits
  StoreRig st(rig.clock, small);
  rig.deps.store = st.store.get();
  rig.deps.max_in_flight = 4;
  rig.start();
  std::vector<std::string> tokens;
  for (int i = 0; i < 64; ++i) tokens.push_back("t" + std::to_string(i));
  Batch* b = rig.send(app, tokens);
  const uint64_t turns = rig.sender->stats().loop_turns.load();
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().loop_turns.load() >= turns + 3; }))
      << "the sender's loop stopped turning while the store ring was full";
  EXPECT_GT(rig.sender->inbox().ring_size(), 0u) << "kept taking jobs while its outcomes could not be stored";
  EXPECT_LT(rig.wire.log().size(), 32u);
  EXPECT_FALSE(rig.is_done(b));
  st.store->start();
  ASSERT_TRUE(rig.done(b));
  for (const ResultSlot& r : b->results) EXPECT_EQ(r.status, Status::Delivered);
  EXPECT_EQ(rig.sender->inbox().ring_size(), 0u);
  ASSERT_TRUE(store::testing::wait_commit(*st.store));
  EXPECT_EQ(st.store->stats().committed_outcomes, 64u);
  rig.stop(0);
}

// Every recipient answered while its outcomes wait for room in the store: the
// client's answer (the batch's completion) must wait too, or after_commit
// would not cover them.
TEST(Sender, AWaitedBatchCompletesOnlyAfterItsOutcomesReachTheStore) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  store::StoreOptions small;
  small.ring_slots = 8;
  small.commit_interval_ms = 1;
  StoreRig st(rig.clock, small);
  rig.deps.store = st.store.get();
  rig.start();
  Batch* b = rig.send(app, {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.log().size() == 12; }));
  const uint64_t turns = rig.sender->stats().loop_turns.load();
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().loop_turns.load() >= turns + 2; }));
  EXPECT_EQ(rig.sender->stats().platform[0].delivered.load(), 12u);
  EXPECT_FALSE(rig.is_done(b)) << "answered before 4 of its outcomes were in the store";
  st.store->start();
  ASSERT_TRUE(rig.done(b));
  rig.stop(0);
}

// ---- reload ------------------------------------------------------------------

// Before start() the doorbells of the reload and of the job are both pending
// when the loop first runs, and libuv serves the job's first: the sender
// must take the new table from the mailbox itself.
TEST(Sender, AnAppAddedByAReloadIsKnownBeforeItsFirstJob) {
  SenderRig rig;
  rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.create();
  auto next = std::make_shared<AppTable>(*rig.deps.apps);
  AppRuntime added;
  added.app_id = static_cast<uint16_t>(next->size());
  added.platform = Platform::Fcm;
  added.name = "new";
  auto shared = std::make_shared<FakeProvider::Shared>();
  added.make_provider = [shared] { return std::make_unique<FakeProvider>(Platform::Fcm, "new.test:443", shared); };
  next->push_back(added);
  rig.sender->update_apps(next);
  // A job for the new id, pushed right after the reload was posted.
  auto* b = new Batch();
  b->platform = Platform::Fcm;
  b->app_id = added.app_id;
  b->wait = true;
  b->arena = "fresh";
  b->recipients.push_back(Recipient{0, 5});
  b->results.resize(1);
  b->pending = 1;
  SendJob job{b, 0, 0, 0};
  ASSERT_EQ(rig.sender->inbox().push(&job, 1), 1u);
  rig.sender->inbox().wake();
  rig.start();
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(result(b).status, Status::Delivered);
  EXPECT_EQ(rig.sender->stats().platform[static_cast<int>(Platform::Fcm)].delivered.load(), 1u);
  EXPECT_EQ(shared->begin_drains.load(), 1);
}

}  // namespace
}  // namespace pushgw::dispatch::testing
