// dispatch::Sender: what Web Push origins (anyone who subscribes chooses
// them) may hold of the sender's share (UntrustedBacklog, sender_rig.h).
// A stuck origin's backlog ends "origin_busy" once the origin has been
// observed answering nothing, so ingest takes other apps' work again; an
// origin that drains its big backlog is not shed.
//
// Housekeeping (which samples each origin's answer rate and sheds) runs on
// a real 250 ms timer and reads the test clock, so the tests move the clock
// a second at a time and give housekeeping a turn in between.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "sender_rig.h"

namespace pushgw::dispatch::testing {
namespace {

std::map<std::string, int> outcomes(const Batch* b) {
  std::map<std::string, int> m;
  for (const ResultSlot& r : b->results) {
    if (r.status == Status::Failed) ++m["failed:" + r.reason];
    else if (r.status == Status::Delivered) ++m["delivered"];
    else ++m["other"];
  }
  return m;
}

// One second of the test clock, then a housekeeping turn (its timer is real).
void next_second(SenderRig& rig) {
  rig.advance(1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

constexpr const char* kStuck = "93.184.216.2";
constexpr int kWebPush = static_cast<int>(Platform::WebPush);

// A Web Push origin that takes its share of streams and never answers: its
// further jobs wait for it. They filled the sender's share (64), so ingest
// took nothing, for any app, until they ended at their retry window (300 s).
// Now the origin, observed answering nothing, keeps no backlog: what waited
// ends failed "origin_busy", further jobs for it end at once, and the other
// app's jobs are taken and delivered while the origin still hangs.
TEST(SenderUntrusted, AStuckOriginsBacklogEndsAndOtherAppsAreTakenAgain) {
  SenderRig rig;
  rig.deps.ring_capacity = 64;  // the share; Web Push backlogs may hold 32 of it
  rig.deps.max_in_flight = 8;   // a Web Push origin may have 2 in flight
  rig.deps.delivery.max_retry_seconds = 300;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", std::string(kStuck) + ":443");
  const uint16_t shop = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  rig.wire.script = [](const Sent& s) { return s.host == kStuck ? Reply::hanging() : Reply::http(200); };
  rig.start();
  Batch* stuck = rig.send(wp, names("sub", 60));  // 2 in flight, 58 waiting
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().ring_size() == 0; }));
  rig.barrier();
  Batch* apns = rig.make(shop, names("tok", 20));
  const size_t first = rig.offer(apns);
  EXPECT_LE(first, 4u) << "the share should be full of the stuck origin's jobs";
  // 60 s of the clock, far inside the 300 s window: on main nothing ends.
  auto failed = [&] { return rig.sender->stats().platform[kWebPush].failed.load(); };
  for (int s = 0; s < 60 && failed() < 58; ++s) next_second(rig);
  EXPECT_EQ(failed(), 58u) << "the jobs waiting for the stuck origin did not end";
  EXPECT_EQ(rig.sender->stats().platform[kWebPush].delivered.load(), 0u);
  EXPECT_FALSE(rig.is_done(stuck)) << "its 2 requests in flight hang";
  // Ingest has room again: the rest of the APNs batch is taken and delivered.
  ASSERT_EQ(rig.offer(apns, first), 20u - first);
  ASSERT_TRUE(rig.done(apns));
  for (const ResultSlot& r : apns->results) EXPECT_EQ(r.status, Status::Delivered);
  // Further jobs for the stuck origin end at once instead of filling the share.
  Batch* more = rig.send(wp, names("late", 40));
  ASSERT_TRUE(rig.done(more));
  EXPECT_EQ(outcomes(more), (std::map<std::string, int>{{"failed:origin_busy", 40}}));
  EXPECT_EQ(rig.wire.max_outstanding(kStuck), 2u);
  EXPECT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().webpush_shed.load() == 98u; }))
      << rig.sender->stats().webpush_shed.load();
  EXPECT_LE(rig.sender->inbox().load(), 2u) << "only the 2 hanging requests are left";
  // The 2 on the hanging streams end too (here at shutdown; a real pool's
  // request timeout ends them sooner): every stuck job has its verdict.
  rig.stop(0);
  ASSERT_TRUE(rig.is_done(stuck));
  EXPECT_EQ(outcomes(stuck), (std::map<std::string, int>{{"failed:origin_busy", 58}, {"failed:shutdown", 2}}));
}

// A fast origin with a backlog bigger than half the share, next to a stuck
// one: the stuck origin's backlog ends, the fast one's is not shed (it
// drains its backlog well within UntrustedBacklog::kSlowDrainMs at its
// rate, so it is back-pressure): every one of its jobs is delivered.
TEST(SenderUntrusted, AFastOriginWithABigBacklogIsNotShed) {
  SenderRig rig;
  rig.deps.ring_capacity = 4096;  // Web Push backlogs may hold 2,048 of it
  rig.deps.max_in_flight = 8;
  rig.deps.delivery.max_retry_seconds = 300;
  constexpr const char* kFast = "93.184.216.1";
  const uint16_t fast = rig.add_app(Platform::WebPush, "big", std::string(kFast) + ":443");
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", std::string(kStuck) + ":443");
  // The fast origin answers `budget` requests a second of the test clock
  // (then it stops answering until the next second): 200 a second.
  std::atomic<int> budget{0};
  rig.wire.hold_host(kFast, true);
  rig.wire.script = [&](const Sent& s) {
    if (s.host == kStuck) return Reply::hanging();
    if (s.host == kFast && --budget <= 0) rig.wire.hold_host(kFast, true);
    return Reply::http(200);
  };
  rig.start();
  Batch* big = rig.send(fast, names("f", 3000));
  Batch* stuck = rig.send(wp, names("s", 400));  // 398 waiting
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().ring_size() == 0; }));
  rig.barrier();
  auto one_second = [&] {
    rig.advance(1000);
    budget = 200;
    rig.wire.hold_host(kFast, false);
    rig.wire.kick();
    ASSERT_TRUE(SenderRig::eventually([&] { return budget.load() <= 0 || rig.is_done(big); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a housekeeping turn
  };
  // Past DrainMeter::kJudgeAfterMs (with a second to spare for a late
  // first look): ~2,400 delivered; the stuck origin's backlog has ended.
  for (int s = 0; s < 12; ++s) one_second();
  const SenderStats& st = rig.sender->stats();
  EXPECT_TRUE(SenderRig::eventually([&] { return st.platform[kWebPush].failed.load() == 398u; }))
      << "the stuck origin's backlog did not end: " << st.platform[kWebPush].failed.load();
  // A second campaign to the fast origin: ~3,100 waiting for it, more than
  // half the share on its own, drained in ~16 s at 200 a second.
  Batch* more = rig.send(fast, names("g", 2500));
  rig.barrier();
  for (int s = 0; s < 3; ++s) one_second();
  EXPECT_GT(rig.sender->inbox().load(), 2048u);
  EXPECT_EQ(st.platform[kWebPush].failed.load(), 398u) << "the fast origin's jobs were shed";
  // The rest drains.
  budget = 1'000'000;
  rig.wire.hold_host(kFast, false);
  rig.wire.kick();
  ASSERT_TRUE(rig.done(big));
  ASSERT_TRUE(rig.done(more));
  EXPECT_EQ(outcomes(big), (std::map<std::string, int>{{"delivered", 3000}}));
  EXPECT_EQ(outcomes(more), (std::map<std::string, int>{{"delivered", 2500}}));
  rig.stop(0);
  ASSERT_TRUE(rig.is_done(stuck));
  EXPECT_EQ(outcomes(stuck), (std::map<std::string, int>{{"failed:origin_busy", 398}, {"failed:shutdown", 2}}));
}

// An origin that answers, but slowly (1 a second): rule 1 lets it keep what
// it can answer within the window (~290), but Web Push backlogs together
// may hold only half the share (32 of 64): the slowest origin sheds its
// newest jobs down to that, so the other half stays for other apps.
TEST(SenderUntrusted, ASlowOriginPastHalfTheShareShedsItsNewestJobs) {
  SenderRig rig;
  rig.deps.ring_capacity = 64;
  rig.deps.max_in_flight = 8;  // 2 in flight for a Web Push origin
  rig.deps.delivery.max_retry_seconds = 300;
  constexpr const char* kSlow = "93.184.216.3";
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", std::string(kSlow) + ":443");
  const uint16_t shop = rig.add_app(Platform::Apns, "shop", "api.push.test:443");
  std::atomic<int> budget{0};
  rig.wire.streams = 1;  // one answer per network turn: exactly `budget` a second
  rig.wire.hold_host(kSlow, true);
  rig.wire.script = [&](const Sent& s) {
    if (s.host == kSlow && --budget <= 0) rig.wire.hold_host(kSlow, true);
    return Reply::http(200);
  };
  rig.start();
  Batch* slow = rig.send(wp, names("s", 60));  // 58 waiting
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().ring_size() == 0; }));
  rig.barrier();
  auto failed = [&] { return rig.sender->stats().platform[kWebPush].failed.load(); };
  for (int s = 0; s < 40 && failed() == 0; ++s) {
    rig.advance(1000);
    budget = 1;
    rig.wire.hold_host(kSlow, false);
    rig.wire.kick();
    ASSERT_TRUE(SenderRig::eventually([&] { return budget.load() <= 0; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_GT(failed(), 0u) << "nothing was shed";
  // What the slow origin holds is back within half the share (and its 2 in flight).
  EXPECT_TRUE(SenderRig::eventually([&] { return rig.sender->inbox().load() <= 32u + 2u; }))
      << rig.sender->inbox().load();
  Batch* apns = rig.send(shop, names("tok", 20));
  ASSERT_TRUE(rig.done(apns));
  for (const ResultSlot& r : apns->results) EXPECT_EQ(r.status, Status::Delivered);
  budget = 1'000'000;
  rig.wire.hold_host(kSlow, false);
  rig.wire.kick();
  ASSERT_TRUE(rig.done(slow));
  // Every job has its verdict; the shed ones are the newest.
  size_t first_shed = slow->results.size();
  for (size_t i = 0; i < slow->results.size(); ++i) {
    const ResultSlot& r = slow->results[i];
    if (r.status == Status::Failed) {
      EXPECT_EQ(r.reason, "origin_busy");
      first_shed = std::min(first_shed, i);
    } else {
      EXPECT_EQ(r.status, Status::Delivered);
      EXPECT_LT(i, first_shed) << "a job older than a shed one was shed after it";
    }
  }
  EXPECT_EQ(slow->results.size() - first_shed, failed());
}

}  // namespace
}  // namespace pushgw::dispatch::testing
