// dispatch::Sender against Web Push names that resolve slowly or fail for
// now (the subscriber chooses the name and its DNS server): jobs waiting for
// slow names hold at most a quarter of the sender's share (UntrustedBacklog's
// rule 3), so other apps keep getting in; a name that answers within the
// grace is never judged.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/name_resolver.h"
#include "sender_rig.h"

namespace pushgw::dispatch::testing {
namespace {

// Every lookup takes until `answer` (a DNS server that answers slowly).
void answer_when(SenderRig& rig, std::atomic<bool>& answer) {
  rig.deps.webpush_resolver = std::make_shared<net::BoundedResolver>(
      net::BoundedResolver::Options{}, [&answer](const std::string&) {
        while (!answer.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return public_address();
      });
}

size_t count(const Batch& b, Status s, const std::string& reason = {}) {
  size_t n = 0;
  for (const ResultSlot& r : b.results)
    if (r.status == s && (reason.empty() || r.reason == reason)) ++n;
  return n;
}

// A name whose lookups fail for now until `works`. Share 64: once it has
// failed, at most 16 of its jobs wait to retry; the other 48 end at once
// "dns_temporary_failure" instead of holding the share for up to
// max_attempts lookups and negative TTLs. Another app's 40 jobs get in.
TEST(SenderNames, JobsOfANameThatFailsForNowWaitInAQuarterOfTheShare) {
  SenderRig rig;
  rig.deps.ring_capacity = 64;
  std::atomic<bool> works{false};
  rig.deps.webpush_resolver = std::make_shared<net::BoundedResolver>(
      net::BoundedResolver::Options{},
      [&](const std::string&) { return works.load() ? public_address() : temporary_failure(); });
  rig.deps.delivery.webpush_dns_negative_ttl_seconds = 60;
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "push.flaky.test:443");
  const uint16_t fcm = rig.add_app(Platform::Fcm, "shop", "fcm.test:443");
  rig.start();
  Batch* tarpit = rig.make(wp, names("s", 64));
  ASSERT_EQ(rig.offer(tarpit), 64u);
  ASSERT_TRUE(SenderRig::eventually([&] { return rig.sender->stats().queued.load() == 16; }))
      << rig.sender->stats().queued.load();
  // The other app is not stopped by the name's jobs.
  Batch* other = rig.make(fcm, names("f", 40));
  EXPECT_EQ(rig.offer(other), 40u);
  ASSERT_TRUE(rig.done(other));
  EXPECT_EQ(count(*other, Status::Delivered), 40u);
  // The name answers again: the 16 that waited are delivered.
  works = true;
  rig.advance(60'000);
  rig.barrier();
  ASSERT_TRUE(rig.done(tarpit));
  EXPECT_EQ(count(*tarpit, Status::Delivered), 16u);
  EXPECT_EQ(count(*tarpit, Status::Failed, "dns_temporary_failure"), 48u);
  rig.stop(0);
}

// A lookup that takes long (a DNS server that answers slowly). The first
// jobs park within the grace; past UntrustedBacklog::kNameGraceMs of waiting
// the name is slow, and only up to a quarter of the share waits for it.
TEST(SenderNames, JobsOfANameSlowToResolveWaitInAQuarterOfTheShare) {
  SenderRig rig;
  rig.deps.ring_capacity = 64;
  std::atomic<bool> answer{false};
  answer_when(rig, answer);
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "push.slow.test:443");
  rig.start();
  Batch* first = rig.make(wp, names("a", 8));
  ASSERT_EQ(rig.offer(first), 8u);
  rig.barrier();
  EXPECT_EQ(rig.sender->stats().queued.load(), 8u);  // parked: the name is not judged yet
  rig.advance(UntrustedBacklog::kNameGraceMs);
  Batch* more = rig.make(wp, names("b", 20));
  ASSERT_EQ(rig.offer(more), 20u);
  rig.barrier();
  EXPECT_EQ(rig.sender->stats().queued.load(), 16u);
  answer = true;
  ASSERT_TRUE(rig.done(first));
  ASSERT_TRUE(rig.done(more));
  EXPECT_EQ(count(*first, Status::Delivered), 8u);
  EXPECT_EQ(count(*more, Status::Delivered), 8u);
  EXPECT_EQ(count(*more, Status::Failed, "dns_temporary_failure"), 12u);
  rig.stop(0);
}

// A name that answers within the grace is never judged: a burst larger than
// the quarter parks on it while it resolves, and all of it is delivered.
TEST(SenderNames, ABurstParkedOnANameThatAnswersInTimeIsAllDelivered) {
  SenderRig rig;
  rig.deps.ring_capacity = 64;
  std::atomic<bool> answer{false};
  answer_when(rig, answer);
  const uint16_t wp = rig.add_app(Platform::WebPush, "site", "push.service.test:443");
  rig.start();
  Batch* burst = rig.make(wp, names("c", 60));
  ASSERT_EQ(rig.offer(burst), 60u);
  rig.barrier();
  EXPECT_EQ(rig.sender->stats().queued.load(), 60u);
  answer = true;
  ASSERT_TRUE(rig.done(burst));
  EXPECT_EQ(count(*burst, Status::Delivered), 60u);
  rig.stop(0);
}

}  // namespace
}  // namespace pushgw::dispatch::testing
