// WebPushOrigins with an injected resolver and clock: positive and negative
// TTLs, a temporary DNS failure is Retry (not a refusal), a refreshed name
// picks up a new address while the old one keeps serving, the SSRF check on
// every answer, and the LRU bound on entries.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <deque>

#include "dispatch/webpush_origins.h"

namespace pushgw::dispatch {
namespace {

using State = WebPushOrigins::State;

// Answers are given by the test, one per resolve() in order.
class FakeResolver final : public net::NameResolver {
 public:
  void resolve(const std::string& host, Done done) override { asked.push_back({host, std::move(done)}); }
  size_t pending() const override { return asked.size(); }
  // Answers the oldest lookup.
  std::string answer(net::Lookup l) {
    auto [host, done] = std::move(asked.front());
    asked.pop_front();
    done(std::move(l));
    return host;
  }
  // Answers the lookup of host.
  void answer(const std::string& host, net::Lookup l) {
    for (auto it = asked.begin(); it != asked.end(); ++it) {
      if (it->first != host) continue;
      Done done = std::move(it->second);
      asked.erase(it);
      done(std::move(l));
      return;
    }
    ADD_FAILURE() << "no lookup of " << host;
  }
  std::deque<std::pair<std::string, Done>> asked;
};

net::Lookup ok(const char* ip) {
  net::Lookup l;
  l.status = net::Lookup::Status::Ok;
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &in->sin_addr);
  l.addrs.push_back(ss);
  return l;
}
net::Lookup fail(net::Lookup::Status s, const char* why) {
  net::Lookup l;
  l.status = s;
  l.error = why;
  return l;
}

struct Rig {
  explicit Rig(OriginCacheOptions o = {})
      : origins(resolver, clock, o, obs::Logger(), [this](WebPushOrigins::Entry& e) {
          ++settled;
          parked_back += e.parked.size();
          e.parked.clear();
        }) {}
  FakeResolver resolver;
  ManualClock clock;
  int settled = 0;
  size_t parked_back = 0;
  WebPushOrigins origins;
};

TEST(WebPushOrigins, ResolvesOnceAndPinsTheCheckedAddress) {
  Rig r;
  auto& e = r.origins.lookup(1, "push.example:443", false);
  EXPECT_EQ(e.state, State::Resolving);
  EXPECT_EQ(r.origins.resolving(), 1u);
  EXPECT_EQ(&r.origins.lookup(1, "push.example:443", false), &e);
  EXPECT_EQ(r.resolver.asked.size(), 1u);  // one lookup, however many jobs
  EXPECT_EQ(r.resolver.answer(ok("93.184.216.34")), "push.example");
  EXPECT_EQ(e.state, State::Ready);
  EXPECT_EQ(e.ip, "93.184.216.34");
  EXPECT_EQ(r.settled, 1);
  EXPECT_EQ(r.origins.resolving(), 0u);
}

TEST(WebPushOrigins, PrivateAnswerIsRefusedThenRetriedAfterTheNegativeTtl) {
  Rig r;
  auto& e = r.origins.lookup(1, "rebind.example:443", false);
  r.resolver.answer(ok("10.0.0.5"));
  EXPECT_EQ(e.state, State::Refused);
  r.clock.advance_ms(4'999);
  EXPECT_EQ(r.origins.lookup(1, "rebind.example:443", false).state, State::Refused);
  EXPECT_TRUE(r.resolver.asked.empty());
  r.clock.advance_ms(2);
  EXPECT_EQ(r.origins.lookup(1, "rebind.example:443", false).state, State::Resolving);
  r.resolver.answer(ok("93.184.216.34"));
  EXPECT_EQ(e.state, State::Ready);
}

// UntrustedBacklog's rule 3 asks two things: how many jobs wait in entries
// (parked, given back when the name settles) and whether a name is slow (it
// failed for now before, or jobs have waited for it past the grace). A good
// answer clears the judgement.
TEST(WebPushOrigins, CountsParkedJobsAndJudgesSlowNames) {
  Rig r;
  constexpr int64_t kGrace = 2'000;
  auto& e = r.origins.lookup(1, "push.slow.example:443", false);
  for (uint32_t i = 0; i < 3; ++i) r.origins.park(e, SendJob{nullptr, i});
  EXPECT_EQ(r.origins.parked(), 3u);
  EXPECT_FALSE(r.origins.slow(e, kGrace));
  r.clock.advance_ms(kGrace);
  EXPECT_TRUE(r.origins.slow(e, kGrace));  // still resolving after the grace
  r.resolver.answer(fail(net::Lookup::Status::Temporary, "again"));
  EXPECT_EQ(r.parked_back, 3u);
  EXPECT_EQ(r.origins.parked(), 0u);
  EXPECT_TRUE(r.origins.slow(e, kGrace));  // it failed for now
  r.clock.advance_ms(5'000);
  EXPECT_EQ(r.origins.lookup(1, "push.slow.example:443", false).state, State::Resolving);
  EXPECT_TRUE(r.origins.slow(e, kGrace));  // asked again at once: still judged by its failure
  r.resolver.answer(ok("93.184.216.34"));
  EXPECT_EQ(e.state, State::Ready);
  EXPECT_FALSE(r.origins.slow(e, kGrace));
  // A new name is not slow while it answers within the grace.
  auto& fresh = r.origins.lookup(1, "push.fresh.example:443", false);
  r.clock.advance_ms(kGrace - 1);
  EXPECT_FALSE(r.origins.slow(fresh, kGrace));
}

// EAI_AGAIN once must not refuse the origin (for example fcm.googleapis.com)
// until restart: Retry for the negative TTL, then the name is asked again.
TEST(WebPushOrigins, TemporaryFailureIsRetryNotRefusal) {
  Rig r;
  auto& e = r.origins.lookup(1, "fcm.googleapis.com:443", false);
  r.resolver.answer(fail(net::Lookup::Status::Temporary, "Temporary failure in name resolution"));
  EXPECT_EQ(e.state, State::Retry);
  EXPECT_EQ(r.settled, 1);  // parked jobs go back (the sender retries them)
  EXPECT_EQ(e.expires_ms, r.clock.mono_ns() / 1'000'000 + 5'000);
  r.clock.advance_ms(5'000);
  EXPECT_EQ(r.origins.lookup(1, "fcm.googleapis.com:443", false).state, State::Resolving);
  r.resolver.answer(ok("142.250.74.10"));
  EXPECT_EQ(e.state, State::Ready);
}

TEST(WebPushOrigins, NameThatDoesNotResolveIsRefusedForTheNegativeTtlOnly) {
  OriginCacheOptions o;
  o.negative_ttl_ms = 1'000;
  Rig r(o);
  auto& e = r.origins.lookup(1, "nx.example:443", false);
  r.resolver.answer(fail(net::Lookup::Status::Failed, "Name or service not known"));
  EXPECT_EQ(e.state, State::Refused);
  r.clock.advance_ms(1'000);
  EXPECT_EQ(r.origins.lookup(1, "nx.example:443", false).state, State::Resolving);
}

// After the positive TTL the name is resolved again in the background; the
// old checked address serves meanwhile, and a new one replaces it (a push
// service that moved). A refresh that fails for now keeps the old address.
TEST(WebPushOrigins, PositiveTtlRefreshesWhileTheOldAddressServes) {
  Rig r;
  auto& e = r.origins.lookup(1, "push.example:443", false);
  r.resolver.answer(ok("93.184.216.34"));
  r.clock.advance_ms(299'999);
  r.origins.lookup(1, "push.example:443", false);
  EXPECT_TRUE(r.resolver.asked.empty());
  r.clock.advance_ms(1);
  auto& again = r.origins.lookup(1, "push.example:443", false);
  EXPECT_EQ(again.state, State::Ready);
  EXPECT_EQ(again.ip, "93.184.216.34");
  ASSERT_EQ(r.resolver.asked.size(), 1u);
  EXPECT_EQ(r.origins.resolving(), 0u);  // nobody waits for a refresh
  r.resolver.answer(ok("93.184.216.35"));
  EXPECT_EQ(e.ip, "93.184.216.35");
  EXPECT_EQ(r.settled, 1);  // a refresh has no parked jobs to hand back
  r.clock.advance_ms(300'000);
  r.origins.lookup(1, "push.example:443", false);
  r.resolver.answer(fail(net::Lookup::Status::Temporary, "again"));
  EXPECT_EQ(e.state, State::Ready);
  EXPECT_EQ(e.ip, "93.184.216.35");
}

// Wildcard DNS: made-up names cannot grow the cache past its bound; the
// least recently used go, never one whose jobs wait for an answer.
TEST(WebPushOrigins, EntriesAreBoundedLeastRecentlyUsedFirst) {
  OriginCacheOptions o;
  o.max_entries = 16;
  Rig r(o);
  auto& waiting = r.origins.lookup(1, "pending.attacker.test:443", false);  // never answered
  r.origins.lookup(1, "keep.example:443", false);
  r.resolver.answer("keep.example", ok("93.184.216.34"));
  for (int i = 0; i < 200; ++i) {
    const std::string host = "n" + std::to_string(i) + ".attacker.test";
    r.origins.lookup(1, host + ":443", false);
    r.resolver.answer(host, fail(net::Lookup::Status::Failed, "x"));
    if (i % 4 == 0) r.origins.lookup(1, "keep.example:443", false);  // used now and then
  }
  EXPECT_LE(r.origins.size(), 16u);
  EXPECT_EQ(waiting.state, State::Resolving);  // still there, still waited for
  EXPECT_EQ(r.origins.resolving(), 1u);
  EXPECT_EQ(r.origins.lookup(1, "keep.example:443", false).state, State::Ready);  // kept: no new lookup
  EXPECT_EQ(r.resolver.asked.size(), 1u);
  r.origins.lookup(1, "n0.attacker.test:443", false);  // evicted long ago: asked again
  EXPECT_EQ(r.resolver.asked.size(), 2u);
}

TEST(WebPushOrigins, IpLiteralsAreCheckedWithoutResolving) {
  Rig r;
  EXPECT_EQ(r.origins.lookup(1, "93.184.216.34:443", false).state, State::Ready);
  EXPECT_EQ(r.origins.lookup(1, "127.0.0.1:8443", false).state, State::Refused);
  EXPECT_EQ(r.origins.lookup(2, "127.0.0.1:8443", true).state, State::Ready);
  EXPECT_TRUE(r.resolver.asked.empty());
}

}  // namespace
}  // namespace pushgw::dispatch
