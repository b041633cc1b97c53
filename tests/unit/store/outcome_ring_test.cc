// OutcomeRing: inline and arena records, full conditions, and a concurrent
// producer/consumer run that checks every byte (run under TSan too).
#include "store/outcome_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace pushgw::store {
namespace {

Outcome make(std::string_view token, std::string_view campaign = "c", std::string_view reason = "r") {
  Outcome o;
  o.platform = Platform::WebPush;
  o.app = "app";
  o.token = token;
  o.campaign = campaign;
  o.reason = reason;
  o.kind = Kind::Unsubscribed;
  o.since_ms = 11;
  o.at_ms = 22;
  return o;
}

TEST(OutcomeRing, InlineAndArenaRecordsRoundTrip) {
  OutcomeRing ring(8, 64 * 1024);
  std::string shortt(64, 'a'), longt(1000, 'b');
  ASSERT_EQ(ring.push(make(shortt)), OutcomeRing::Push::Ok);
  Outcome keyed = make(longt, "camp", "410");
  keyed.key = 0x0123456789abcdefULL;  // the sender's Store::key(), carried to the send counters
  ASSERT_EQ(ring.push(keyed), OutcomeRing::Push::Ok);
  EXPECT_EQ(ring.produced(), 2u);

  RecordView a = ring.read(0);
  EXPECT_EQ(a.token, shortt);
  EXPECT_EQ(a.app, "app");
  EXPECT_EQ(a.campaign, "c");
  EXPECT_EQ(a.reason, "r");
  EXPECT_EQ(a.platform, Platform::WebPush);
  EXPECT_EQ(a.kind, Kind::Unsubscribed);
  EXPECT_EQ(a.since_ms, 11);
  EXPECT_EQ(a.at_ms, 22);
  EXPECT_EQ(a.arena_end, 0u);
  EXPECT_EQ(a.key, 0u);

  RecordView b = ring.read(1);
  EXPECT_EQ(b.token, longt);
  EXPECT_EQ(b.campaign, "camp");
  EXPECT_EQ(b.reason, "410");
  EXPECT_GT(b.arena_end, 0u);
  EXPECT_EQ(b.key, 0x0123456789abcdefULL);
}

TEST(OutcomeRing, FullSlotsOrArenaRefuseUntilReleased) {
  OutcomeRing ring(4, 64 * 1024);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(ring.push(make("t")), OutcomeRing::Push::Ok);
  EXPECT_EQ(ring.push(make("t")), OutcomeRing::Push::Full);
  ring.release(2, 0);
  EXPECT_EQ(ring.push(make("t")), OutcomeRing::Push::Ok);

  OutcomeRing small(1024, 64 * 1024);
  std::string big(8000, 'x');
  int pushed = 0;
  while (small.push(make(big)) == OutcomeRing::Push::Ok) ++pushed;
  EXPECT_EQ(pushed, 8);  // 8 x ~8 KiB fill the 64 KiB arena
  RecordView last = small.read(static_cast<uint64_t>(pushed - 1));
  small.release(static_cast<uint64_t>(pushed), last.arena_end);
  EXPECT_EQ(small.push(make(big)), OutcomeRing::Push::Ok);
}

TEST(OutcomeRing, RejectsOversizedKeysAndCutsLongText) {
  OutcomeRing ring(4, 64 * 1024);
  EXPECT_EQ(ring.push(make(std::string(OutcomeRing::kMaxToken + 1, 't'))), OutcomeRing::Push::TooLong);
  Outcome o = make("t");
  std::string app(300, 'a');
  o.app = app;
  EXPECT_EQ(ring.push(o), OutcomeRing::Push::TooLong);
  // 1023 ASCII bytes then a 2-byte UTF-8 sequence straddling the 1024 cut.
  std::string reason(1023, 'r');
  reason += "\xC3\xA9tail";
  ASSERT_EQ(ring.push(make("t", "", reason)), OutcomeRing::Push::Ok);
  EXPECT_EQ(ring.read(0).reason.size(), 1023u);
}

TEST(OutcomeRing, ConcurrentProducerAndConsumerSeeEveryRecordIntact) {
  OutcomeRing ring(64, 64 * 1024);
  constexpr uint64_t kN = 200000;
  auto token_of = [](uint64_t i) {
    std::string t = std::to_string(i) + ":";
    t.append(i % 7 == 0 ? 600 + i % 400 : i % 50, static_cast<char>('a' + i % 26));  // mix inline/arena
    return t;
  };
  std::thread producer([&] {
    for (uint64_t i = 0; i < kN; ++i) {
      std::string t = token_of(i);
      Outcome o = make(t);
      o.at_ms = static_cast<int64_t>(i);
      while (ring.push(o) != OutcomeRing::Push::Ok) std::this_thread::yield();
    }
  });
  uint64_t pos = 0, bad = 0, arena_end = 0;
  while (pos < kN) {
    const uint64_t end = ring.produced();
    if (end == pos) {
      std::this_thread::yield();
      continue;
    }
    for (; pos < end; ++pos) {
      RecordView v = ring.read(pos);
      if (v.at_ms != static_cast<int64_t>(pos) || v.token != token_of(pos) || v.app != "app") ++bad;
      if (v.arena_end) arena_end = v.arena_end;
    }
    ring.release(pos, arena_end);
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace pushgw::store
