#include "spool/replay.h"

#include <gtest/gtest.h>

namespace pushgw::spool {
namespace {

AcceptedRecord acc(uint64_t seq, std::vector<BatchCount> b, std::string line = "L") {
  AcceptedRecord a;
  a.seq = seq;
  a.accepted_ms = 1000 + static_cast<int64_t>(seq);
  a.batches = std::move(b);
  a.line = std::move(line);
  return a;
}

TEST(ReplayIndex, FullyDoneRequestsAreNotReturned) {
  ReplayIndex ix;
  ix.add_accepted(acc(1, {{0, 3}}));
  ix.add_done({1, 0, 0, 2});
  ix.add_done({1, 0, 2, 1});
  ix.add_accepted(acc(2, {{0, 2}, {1, 1}}));
  ix.add_done({2, 1, 0, 1});
  auto u = ix.take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].seq, 2u);
  EXPECT_EQ(u[0].remaining(), 2u);
  EXPECT_EQ(ix.max_seq(), 2u);
}

TEST(ReplayIndex, DoneRangesMergeAndAnswerIsDone) {
  ReplayIndex ix;
  ix.add_accepted(acc(5, {{3, 10}}));
  ix.add_done({5, 3, 4, 2});
  ix.add_done({5, 3, 0, 1});
  ix.add_done({5, 3, 5, 3});   // overlaps [4,6)
  ix.add_done({5, 3, 9, 50});  // clipped to count
  ix.add_done({5, 7, 0, 5});   // unknown entry: ignored
  auto u = ix.take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  const UnfinishedBatch& b = u[0].batches[0];
  std::vector<std::pair<uint32_t, uint32_t>> want = {{0, 1}, {4, 8}, {9, 10}};
  EXPECT_EQ(b.done, want);
  EXPECT_EQ(u[0].remaining(), 4u);  // 1, 2, 3, 8
  for (uint32_t i : {1u, 2u, 3u, 8u}) EXPECT_FALSE(b.is_done(i)) << i;
  for (uint32_t i : {0u, 4u, 7u, 9u}) EXPECT_TRUE(b.is_done(i)) << i;
}

TEST(ReplayIndex, ManyOutOfOrderSingletonsStayCorrect) {
  ReplayIndex ix;
  ix.add_accepted(acc(1, {{0, 10000}}));
  for (uint32_t i = 0; i < 10000; i += 2) ix.add_done({1, 0, 9998 - i, 1});
  auto u = ix.take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].remaining(), 5000u);
  EXPECT_TRUE(u[0].batches[0].is_done(0));
  EXPECT_FALSE(u[0].batches[0].is_done(1));
}

TEST(ReplayIndex, ALaterCopyKeepsRangesOnlyWhereCountsMatch) {
  ReplayIndex ix;
  ix.add_accepted(acc(9, {{0, 4}, {1, 4}}, "old"));
  ix.add_done({9, 0, 0, 2});
  ix.add_done({9, 1, 0, 2});
  ix.add_accepted(acc(9, {{0, 4}, {1, 3}}, "new"));  // entry 1 re-parsed differently
  auto u = ix.take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].line, "new");
  EXPECT_EQ(u[0].batches[0].done_count(), 2u);
  EXPECT_EQ(u[0].batches[1].done_count(), 0u);
}

TEST(ReplayIndex, DoneBeforeAcceptedIsApplied) {
  ReplayIndex ix;
  ix.add_done({3, 0, 0, 1});
  ix.add_accepted(acc(3, {{0, 2}}));
  auto u = ix.take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].remaining(), 1u);
}

TEST(ReplayIndex, MaxSeqCountsDoneOnlySeqs) {
  ReplayIndex ix;
  ix.add_done({77, 0, 0, 1});
  EXPECT_EQ(ix.max_seq(), 77u);
  EXPECT_TRUE(ix.take_unfinished().empty());
}

}  // namespace
}  // namespace pushgw::spool
