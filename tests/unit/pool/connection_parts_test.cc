// The parts a pool Connection delegates to, without a connection: the PING
// watchdog (Liveness) and the open streams' deadlines (OpenStreams). The
// end-to-end behaviour is in pool_liveness_test and pool_test.
#include <gtest/gtest.h>

#include <climits>
#include <vector>

#include "pool/liveness.h"
#include "pool/open_streams.h"

namespace pushgw::pool {
namespace {

PoolOptions ping_options() {
  PoolOptions o;
  o.ping_interval_ms = 10000;
  o.stall_ping_ms = 1000;
  o.ping_timeout_ms = 500;
  return o;
}

TEST(Liveness, AQuietIdlePeerIsPingedAfterThePingIntervalAndABusyOneAfterTheStallPing) {
  const PoolOptions o = ping_options();
  Liveness l(o);
  l.heard(0);
  int pings = 0;
  auto ping = [&] { return ++pings, true; };
  EXPECT_EQ(l.next_due(false, true), 10000);
  EXPECT_TRUE(l.check(9999, false, ping));
  EXPECT_EQ(pings, 0);
  // Busy since 500: silent for stall_ping_ms counted from the later of the
  // last bytes and the start of the busy period.
  l.busy_from(500);
  EXPECT_EQ(l.next_due(true, true), 1500);
  EXPECT_TRUE(l.check(1499, true, ping));
  EXPECT_EQ(pings, 0);
  EXPECT_TRUE(l.check(1500, true, ping));
  EXPECT_EQ(pings, 1);
  EXPECT_TRUE(l.awaiting_ack());
  EXPECT_EQ(l.next_due(true, true), 2000);  // the ACK's deadline
}

TEST(Liveness, AnUnansweredPingGetsOneMorePassThenThePeerIsGone) {
  const PoolOptions o = ping_options();
  Liveness l(o);
  l.heard(0);
  auto ping = [] { return true; };
  ASSERT_TRUE(l.check(10000, false, ping));
  ASSERT_TRUE(l.awaiting_ack());
  EXPECT_TRUE(l.check(10499, false, ping));  // before the deadline
  EXPECT_TRUE(l.check(10500, false, ping));  // the grace: one more I/O pass
  EXPECT_FALSE(l.check(10501, false, ping));
}

TEST(Liveness, AnAckInTheGraceKeepsThePeerAndTheScheduleStartsFromItsBytes) {
  const PoolOptions o = ping_options();
  Liveness l(o);
  l.heard(0);
  auto ping = [] { return true; };
  ASSERT_TRUE(l.check(10000, false, ping));
  ASSERT_TRUE(l.check(10500, false, ping));  // grace
  l.heard(10501);
  l.on_ack();
  EXPECT_FALSE(l.awaiting_ack());
  EXPECT_TRUE(l.check(10502, false, ping));
  EXPECT_EQ(l.next_due(false, true), 20501);
}

TEST(Liveness, APingThatCannotBeSentIsNoOutstandingPingAndAProtocolWithoutPingsHasNoSchedule) {
  const PoolOptions o = ping_options();
  Liveness l(o);
  l.heard(0);
  EXPECT_TRUE(l.check(20000, false, [] { return false; }));
  EXPECT_FALSE(l.awaiting_ack());
  EXPECT_EQ(l.next_due(false, false), INT64_MAX);
}

TEST(OpenStreams, ExpiryCancelsEachStreamPastItsDeadlineOnceAndTheNextDeadlineSkipsThem) {
  std::vector<Slot> slots(3);
  OpenStreams s;
  EXPECT_EQ(s.next_deadline(), INT64_MAX);
  EXPECT_TRUE(s.add(slots[0], 100, 7));
  EXPECT_FALSE(s.add(slots[1], 200, 7));
  EXPECT_FALSE(s.add(slots[2], 300, 7));
  EXPECT_EQ(slots[1].conn_id, 7u);
  EXPECT_EQ(s.next_deadline(), 100);
  std::vector<Slot*> cancelled;
  s.expire(200, [&](Slot& x) { cancelled.push_back(&x); });
  EXPECT_EQ(cancelled, (std::vector<Slot*>{&slots[0], &slots[1]}));
  EXPECT_TRUE(slots[0].timed_out && slots[1].timed_out && !slots[2].timed_out);
  EXPECT_EQ(s.next_deadline(), 300);
  s.expire(250, [&](Slot& x) { cancelled.push_back(&x); });  // already cancelled: not again
  EXPECT_EQ(cancelled.size(), 2u);
  EXPECT_EQ(s.size(), 3u);
}

TEST(OpenStreams, ACancelThatEndsTheStreamUnlinksItSafely) {
  std::vector<Slot> slots(2);
  OpenStreams s;
  s.add(slots[0], 100, 1);
  s.add(slots[1], 100, 1);
  s.expire(100, [&](Slot& x) { s.remove(x); });  // an HTTP/1.1 cancel ends the stream at once
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.add(slots[0], 500, 1));  // the next busy period starts with it
}

}  // namespace
}  // namespace pushgw::pool
