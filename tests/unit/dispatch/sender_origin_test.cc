// dispatch::Sender against hostile or failing origins (sender_rig.h): a Web
// Push origin's share of the in-flight window, a peer that allows no stream,
// a certificate an attacker-chosen origin fails, "now or never" (Web Push ttl
// 0), expiry handed to the pool, and back-pressure that counts parked work.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <atomic>

#include "net/name_resolver.h"
#include "sender_rig.h"

namespace pushgw::dispatch::testing {
namespace {

using E = pool::TransportError;
using H = std::vector<std::pair<std::string, std::string>>;

constexpr int kWebPush = static_cast<int>(Platform::WebPush);

int submits_to(const Wire& wire, const std::string& host) {
  int n = 0;
  for (const Sent& s : wire.log()) n += s.host == host;
  return n;
}

// ---- a Web Push origin's share of the in-flight window -----------------------

// Without the share the hostile origin's ten hanging requests would fill the
// whole window (8) and the APNs batch behind them would never be sent.
TEST(SenderOrigins, AnOriginThatNeverAnswersTakesOnlyItsShareOfTheWindow) {
  SenderRig rig;
  rig.deps.max_in_flight = 8;  // a Web Push origin may have a quarter: 2
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", /*allow_private=*/true);
  const uint16_t shop = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) { return s.host == "127.0.0.1" ? Reply::hanging() : Reply::http(200); };
  rig.start();
  Batch* hostile = rig.send(wp, names("sub", 10));
  Batch* apns = rig.send(shop, names("tok", 20));
  ASSERT_TRUE(rig.done(apns)) << "the hostile origin took the whole in-flight window";
  for (const ResultSlot& r : apns->results) EXPECT_EQ(r.status, Status::Delivered);
  EXPECT_EQ(submits_to(rig.wire, "127.0.0.1"), 2);
  EXPECT_EQ(rig.wire.max_outstanding("127.0.0.1"), 2u);
  EXPECT_FALSE(rig.is_done(hostile));
  rig.stop(0);
  ASSERT_TRUE(rig.is_done(hostile));  // the waiting ones too
  for (const ResultSlot& r : hostile->results) EXPECT_EQ(r.reason, "shutdown");
}

// Each completion of the origin lets one of its waiting jobs go; a queue
// timeout on a busy (not failing) origin opens no breaker.
TEST(SenderOrigins, JobsOverTheShareGoAsTheOriginCompletes) {
  SenderRig rig;
  rig.deps.max_in_flight = 8;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", true);
  rig.wire.script = [](const Sent& s) {
    if (s.host != "127.0.0.1") return Reply::http(200);
    return s.n == 0 ? Reply::error(E::QueueTimeout) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(wp, names("sub", 10));
  ASSERT_TRUE(SenderRig::eventually([&] { return submits_to(rig.wire, "127.0.0.1") == 10; }))
      << "waiting jobs were not released as the origin completed";
  rig.advance(250);  // every first try timed out in the pool: their one backoff
  ASSERT_TRUE(rig.done(b));
  for (const ResultSlot& r : b->results) EXPECT_EQ(r.status, Status::Delivered);
  EXPECT_EQ(rig.wire.max_outstanding("127.0.0.1"), 2u);
  EXPECT_EQ(rig.sender->stats().platform[kWebPush].retried.load(), 10u);
  EXPECT_EQ(rig.wire.submits("sub3"), 2) << "held by a breaker a queue timeout should not open";
}

// The pool reports a connected peer that allowed no stream as a failed
// attempt (NoStreams): like a refused connection, it opens the breaker, and
// what comes next is held, not sent.
TEST(SenderOrigins, AnOriginAllowingNoStreamOpensItsBreaker) {
  SenderRig rig;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", true);
  rig.wire.script = [](const Sent& s) {
    return s.host == "127.0.0.1" ? Reply::error(E::NoStreams) : Reply::http(200);
  };
  rig.start();
  Batch* first = rig.send(wp, {"a", "b", "c"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().platform[kWebPush].retried.load() == 3; }));
  BatchOptions o;
  o.expires_in_ms = 2000;
  Batch* later = rig.send(wp, {"d"}, o);
  rig.advance(250);  // the retries fall due: held
  rig.barrier();
  EXPECT_EQ(submits_to(rig.wire, "127.0.0.1"), 3);
  EXPECT_EQ(rig.wire.submits("d"), 0);
  rig.advance(3000);  // past d's expiry: the held scan ends it
  ASSERT_TRUE(rig.done(later));
  EXPECT_EQ(later->results[0].status, Status::Expired);
  EXPECT_EQ(later->results[0].reason, "expired");
  rig.stop(0);
  EXPECT_TRUE(rig.is_done(first));
}

// ---- certificate failures on attacker-chosen origins ---------------------------

TEST(SenderOrigins, AWebPushCertificateFailureIsTriedTwiceNotForTheWholeWindow) {
  SenderRig rig;
  rig.deps.delivery.max_attempts = 5;
  rig.deps.delivery.max_retry_seconds = 300;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", true);
  rig.wire.script = [](const Sent& s) {
    return s.host == "127.0.0.1" ? Reply::error(E::TlsVerifyFailed) : Reply::http(200);
  };
  rig.start();
  Batch* b = rig.send(wp, {"sub"});  // one failure a time: the breaker stays closed
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.submits("sub") == 1; }));
  rig.advance(250);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(b->results[0].status, Status::Failed);
  EXPECT_EQ(b->results[0].reason, "tls_verify_failed");
  EXPECT_EQ(rig.wire.submits("sub"), 2);
}

TEST(SenderOrigins, AnOpenBreakerOnACertificateFailureEndsHeldWebPushJobsAtOnce) {
  SenderRig rig;
  rig.deps.delivery.max_retry_seconds = 300;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", true);
  const uint16_t shop = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) {
    return s.token == "canary" ? Reply::http(200) : Reply::error(E::TlsVerifyFailed);
  };
  rig.start();
  Batch* b = rig.send(wp, {"a", "b", "c", "d"});
  Batch* trusted = rig.send(shop, {"w", "x", "y", "z"});  // APNs: held for the window
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.log().size() == 8; }));
  rig.advance(250);  // the retries: the breakers are open
  ASSERT_TRUE(rig.done(b));
  for (const ResultSlot& r : b->results) {
    EXPECT_EQ(r.status, Status::Failed);
    EXPECT_EQ(r.reason, "tls_verify_failed");
  }
  EXPECT_EQ(submits_to(rig.wire, "127.0.0.1"), 4);
  rig.barrier();
  EXPECT_FALSE(rig.is_done(trusted)) << "an APNs origin's jobs wait for its breaker";
  rig.stop(0);
}

// ---- now or never (Web Push ttl 0) -----------------------------------------------

TEST(SenderOrigins, OnceMeansOneAttempt) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", true);
  rig.wire.script = [](const Sent& s) { return s.token == "busy" ? Reply::http(503) : Reply::http(200); };
  rig.start();
  BatchOptions o;
  o.once = true;
  Batch* b = rig.send(app, {"busy", "fine"}, o);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(b->results[0].status, Status::Failed);
  EXPECT_EQ(b->results[0].reason, "ServiceUnavailable");
  EXPECT_EQ(rig.wire.submits("busy"), 1);
  EXPECT_EQ(b->results[1].status, Status::Delivered);
}

TEST(SenderOrigins, OnceDoesNotWaitForAnOpenBreaker) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::WebPush, "site", "127.0.0.1:4443", true);
  rig.wire.script = [](const Sent& s) {
    return s.host == "127.0.0.1" ? Reply::error(E::ConnectFailed) : Reply::http(200);
  };
  rig.start();
  Batch* opener = rig.send(app, {"a", "b", "c"});
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().platform[kWebPush].retried.load() == 3; }));
  BatchOptions o;
  o.once = true;
  Batch* b = rig.send(app, {"now"}, o);
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(b->results[0].status, Status::Failed);
  EXPECT_EQ(b->results[0].reason, "connect_failed");
  EXPECT_EQ(rig.wire.submits("now"), 0);
  rig.stop(0);
  EXPECT_TRUE(rig.is_done(opener));
}

// ---- expiry reaches the pool -----------------------------------------------------

TEST(SenderOrigins, AnExpiringJobTellsThePoolItsDeadline) {
  SenderRig rig;
  const uint16_t app = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.start();
  BatchOptions o;
  o.expires_in_ms = 5000;
  const int64_t mono_ms = rig.clock.mono_ns() / 1'000'000;
  Batch* b = rig.send(app, {"soon"}, o);
  Batch* c = rig.send(app, {"whenever"});
  ASSERT_TRUE(rig.done(b));
  ASSERT_TRUE(rig.done(c));
  for (const Sent& s : rig.wire.log()) {
    if (s.token == "soon") {
      EXPECT_EQ(s.not_after_mono_ms, mono_ms + 5000);
    } else if (s.token == "whenever") {
      EXPECT_EQ(s.not_after_mono_ms, 0);
    }
  }
}

// ---- parked work counts against back-pressure ------------------------------------

struct ParkCase {
  const char* name;
  bool credential_missing;  // parked for a credential
  bool retry_after;         // waiting for a retry (Retry-After 60 s)
};

class ParkedWorkTest : public ::testing::TestWithParam<ParkCase> {};

// The sender's share (ring_capacity) bounds the ring plus what it holds: with
// 16 jobs parked, ingest gets no room until they end.
TEST_P(ParkedWorkTest, CountsAgainstTheSendersShare) {
  const ParkCase& c = GetParam();
  SenderRig rig;
  rig.deps.ring_capacity = 16;
  const uint16_t app = rig.add_app(Platform::Fcm, "shop", "fcm.test:443");
  std::atomic<bool> outage{c.retry_after};
  rig.wire.script = [&](const Sent& s) {
    if (s.token != "canary" && outage.load()) return Reply::http(503, H{{"retry-after", "60"}});
    return Reply::http(200);
  };
  rig.provider(app).credential_missing = c.credential_missing;
  rig.start();
  Batch* a = rig.make(app, names("a", 16));
  ASSERT_EQ(rig.offer(a), 16u);
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().ring_size() == 0; }));
  EXPECT_EQ(rig.sender->stats().queued.load(), 16u);
  Batch* b = rig.make(app, names("b", 8));
  EXPECT_EQ(rig.offer(b), 0u) << "took more work while its share was parked";
  EXPECT_LE(rig.sender->inbox().load(), rig.sender->inbox().share());
  // The outage ends: the parked jobs finish, and ingest gets room again.
  rig.provider(app).credential_missing = false;
  outage = false;
  rig.advance(60'000);
  ASSERT_TRUE(rig.done(a));
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().load() == 0; }));
  EXPECT_EQ(rig.offer(b), 8u);
  ASSERT_TRUE(rig.done(b));
  for (Batch* x : {a, b})
    for (const ResultSlot& r : x->results) EXPECT_EQ(r.status, Status::Delivered);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ParkedWorkTest,
                         ::testing::Values(ParkCase{"credential", true, false}, ParkCase{"retry", false, true}),
                         [](const auto& tc) { return std::string(tc.param.name); });

}  // namespace
}  // namespace pushgw::dispatch::testing

// ---- Web Push names: a temporary DNS failure is retried, not refused ------

namespace pushgw::dispatch::testing {
namespace {

// The resolver seam: lookups answer Temporary (EAI_AGAIN) until `works`,
// then the public address; the pool is pinned to it.
TEST(SenderOrigins, ATemporaryDnsFailureIsRetriedAndTheJobDelivered) {
  SenderRig rig;
  std::atomic<bool> works{false};
  std::atomic<int> lookups{0};
  rig.deps.webpush_resolver = std::make_shared<net::BoundedResolver>(
      net::BoundedResolver::Options{}, [&](const std::string& host) {
        ++lookups;
        return works.load() && host == "push.flaky.test" ? public_address() : temporary_failure();
      });
  rig.deps.delivery.webpush_dns_negative_ttl_seconds = 2;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "push.flaky.test:443");
  rig.start();
  Batch* b = rig.send(wp, {"sub0"});
  ASSERT_TRUE(SenderRig::eventually([&] { return lookups.load() == 1; }));
  rig.barrier();
  EXPECT_FALSE(rig.is_done(b));  // waiting to retry, not refused
  works = true;
  rig.advance(2'000);  // past the negative TTL and the backoff
  rig.barrier();
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(b->results[0].status, Status::Delivered) << b->results[0].reason;
  EXPECT_EQ(lookups.load(), 2);
  ASSERT_EQ(submits_to(rig.wire, "push.flaky.test"), 1);
  for (const Sent& s : rig.wire.log())
    if (s.host == "push.flaky.test") {
      EXPECT_EQ(s.connect_ip, "93.184.216.34");
    }
  rig.stop(0);
}

// With no attempt left the job ends failed, with the temporary failure as
// its reason (never endpoint_refused).
TEST(SenderOrigins, ATemporaryDnsFailureIsNoRefusal) {
  SenderRig rig;
  rig.deps.webpush_resolver = std::make_shared<net::BoundedResolver>(
      net::BoundedResolver::Options{}, [](const std::string&) {
        net::Lookup l;
        l.status = net::Lookup::Status::Temporary;
        l.error = "again";
        return l;
      });
  rig.deps.delivery.max_attempts = 1;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "push.flaky.test:443");
  rig.start();
  Batch* b = rig.send(wp, {"sub0"});
  ASSERT_TRUE(rig.done(b));
  EXPECT_EQ(b->results[0].status, Status::Failed);
  EXPECT_EQ(b->results[0].reason, "dns_temporary_failure");
  rig.stop(0);
}

}  // namespace
}  // namespace pushgw::dispatch::testing

namespace pushgw::dispatch::testing {
namespace {

// Made-up origins cannot grow the pools without bound: past
// webpush_max_origins the idle ones are shut down (least recently used
// first, on the 5 s sweep), and a later send to one gets a new pool.
TEST(SenderOrigins, IdleWebPushPoolsPastTheBoundAreShutDown) {
  SenderRig rig;
  rig.deps.delivery.webpush_max_origins = 16;
  std::vector<uint16_t> apps;
  for (int i = 0; i < 20; ++i)
    apps.push_back(rig.add_app(Platform::WebPush, "site" + std::to_string(i), "93.184.216." + std::to_string(i + 1) + ":443"));
  rig.start();
  for (uint16_t a : apps) {
    ASSERT_TRUE(rig.done(rig.send(a, {"sub"})));
    rig.advance(1);  // apps[0]'s pool is the least recently used
  }
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.wire.shutdowns() >= 4; }, std::chrono::seconds(30)));
  EXPECT_EQ(rig.wire.shutdowns(), 4);  // down to the bound, not below
  size_t made;
  {
    std::lock_guard<std::mutex> g(rig.pools_mu);
    made = rig.pools_made.size();
  }
  Batch* again = rig.send(apps[0], {"sub"});  // the least recently used went first
  ASSERT_TRUE(rig.done(again));
  EXPECT_EQ(again->results[0].status, Status::Delivered);
  std::lock_guard<std::mutex> g(rig.pools_mu);
  EXPECT_EQ(rig.pools_made.size(), made + 1);
}

}  // namespace
}  // namespace pushgw::dispatch::testing
