// Admission: round-robin over an app's serving lanes, back-pressure (pause
// reading, may_submit, the source's on_room), the drain of the backlog.
#include "admission/admission.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace pushgw::admission {
namespace {

using testing::Rig;

// A wait:false batch of n recipients of app 0, as the tracker hands it on.
Batch* batch(uint32_t n, bool wait = false) {
  auto* b = new Batch();
  b->wait = wait;
  b->arena = "t";
  for (uint32_t i = 0; i < n; ++i) b->recipients.push_back(Recipient{0, 1});
  if (wait) b->results.resize(n);
  b->pending.store(n);
  return b;
}

TEST(Admission, ChunksGoRoundRobinOverTheAppsServingLanes) {
  Rig rig({.lanes = 3, .connections = 2});
  rig.admission->enqueue(batch(1000));
  rig.admission->pump();
  // Chunks of 256: lanes 0, 1, 0, 1; lane 2 does not serve the app.
  EXPECT_EQ(rig.lanes.rings[0].size(), 512u);
  EXPECT_EQ(rig.lanes.rings[1].size(), 488u);
  EXPECT_EQ(rig.lanes.rings[2].size(), 0u);
  EXPECT_EQ(rig.lanes.rings[1][0].idx, 256u) << "the second chunk starts where the first ended";
  EXPECT_EQ(rig.lanes.woken, (std::vector<int>{0, 1})) << "one wake-up per lane per pump";
  EXPECT_EQ(rig.admission->stats().accepted[0], 0u) << "enqueue alone counts nothing: admit() does";
  EXPECT_TRUE(rig.reading.empty());
}

TEST(Admission, FullLanesPauseReadingUntilTheBacklogDrains) {
  Rig rig({.lanes = 2, .lane_cap = 300, .connections = 2});
  rig.admission->enqueue(batch(1000));
  rig.admission->pump();
  EXPECT_EQ(rig.lanes.load(), 600u);
  EXPECT_EQ(rig.admission->stats().backlog, 400u);
  EXPECT_EQ(rig.reading, (std::vector<bool>{true})) << "the socket stops reading";
  EXPECT_FALSE(rig.admission->may_submit());
  EXPECT_FALSE(rig.admission->has_room()) << "no scheduled rows are claimed either";
  rig.finish_all(Status::Delivered);  // the senders took everything
  rig.admission->pump();              // Fleet's room hook
  EXPECT_EQ(rig.lanes.load(), 400u);
  EXPECT_EQ(rig.admission->stats().backlog, 0u);
  EXPECT_EQ(rig.reading, (std::vector<bool>{true, false})) << "reading resumes";
  EXPECT_EQ(rig.source.rooms, 1) << "the source is told it may submit again";
}

// A sender may finish a wait:false batch, and free it, as soon as its last
// chunk is in a ring: Admission must read nothing of the batch after that
// push. Here the "sender" finishes each job as it is pushed and, at the
// last one, scribbles over the batch as freed memory could be reused; a
// feed that looked at the batch again would queue jobs that do not exist.
TEST(Admission, NothingOfABatchIsReadAfterItsLastChunkIsPushed) {
  Rig rig({.lanes = 2, .connections = 2});
  std::vector<Batch*> finished;
  size_t pushed = 0;
  rig.lanes.on_push = [&](const SendJob* jobs, size_t n) {
    pushed += n;
    for (size_t i = 0; i < n; ++i) {
      Batch* b = jobs[i].batch;
      if (b->pending.fetch_sub(1) != 1) continue;
      b->recipients.resize(b->recipients.size() + 5000);  // "reused" memory
      finished.push_back(b);
    }
  };
  rig.admission->enqueue(batch(1000));
  rig.admission->pump();
  EXPECT_EQ(pushed, 1000u);
  ASSERT_EQ(finished.size(), 1u);
  for (auto& r : rig.lanes.rings) r.clear();  // the sender's: already final
  for (Batch* b : finished) delete b;
}

TEST(Admission, TheSourceWaitsUntilTheRingsAreAtMostHalfFull) {
  Rig rig({.lanes = 2, .lane_cap = 300, .connections = 2});
  rig.admission->enqueue(batch(300));
  rig.admission->pump();
  EXPECT_TRUE(rig.admission->may_submit()) << "300 of 600";
  rig.admission->enqueue(batch(2));
  rig.admission->pump();
  EXPECT_FALSE(rig.admission->may_submit()) << "302 of 600";
}

TEST(Admission, SendAdmitsQueuesAndCountsAccepted) {
  Rig rig({});
  rig.send(testing::send_line(3, false));
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_EQ(rig.socket[0].second, R"({"id":7,"ok":true,"accepted":3,"rejected":[]})");
  EXPECT_EQ(rig.lanes.load(), 3u);
  const Batch* b = rig.lanes.rings[0][0].batch;
  EXPECT_EQ(b->pending.load(), 3u);
  EXPECT_EQ(b->accepted_ms, rig.clock.now);
  EXPECT_EQ(rig.admission->stats().accepted[static_cast<size_t>(Platform::Apns)], 3u);
}

TEST(Admission, ARequestLevelErrorIsRejectedAndNothingIsQueued) {
  Rig rig({});
  rig.send(R"({"op":"send","id":2,"notifications":{}})");
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_NE(rig.socket[0].second.find(R"("ok":false,"error":"bad_request")"), std::string::npos);
  EXPECT_EQ(rig.lanes.load(), 0u);
}

TEST(Admission, DrainEndsWhenTheBacklogIsEmptyAndRefusesNewSends) {
  Rig rig({.lanes = 1, .lane_cap = 100, .connections = 1});
  rig.admission->enqueue(batch(150));
  rig.admission->pump();
  bool drained = false;
  rig.admission->drain(rig.clock.mono_ns() + 60'000'000'000, [&] { drained = true; });
  EXPECT_FALSE(drained);
  rig.send(testing::send_line(1, false), Clients::source_conn(5));
  ASSERT_EQ(rig.source.answers.size(), 1u);
  EXPECT_EQ(rig.source.answers[0], std::make_pair(uint64_t{5}, ingest::Answer::Retry)) << "deliver it again later";
  EXPECT_NE(rig.source.lines[0].find("shutting_down"), std::string::npos);
  EXPECT_FALSE(rig.admission->may_submit());
  rig.finish_all(Status::Delivered);
  rig.admission->pump();
  EXPECT_TRUE(drained);
  EXPECT_EQ(rig.reading, (std::vector<bool>{true})) << "reading never resumes while draining";
}

TEST(Admission, AtTheDeadlineWhatIsLeftFailsShutdown) {
  Rig rig({.lanes = 1, .lane_cap = 100, .connections = 1, .store = false});
  rig.send(testing::send_line(150, true));  // waited: its answer reports every recipient
  ASSERT_EQ(rig.admission->stats().backlog, 50u);
  bool drained = false;
  rig.admission->drain(rig.clock.mono_ns(), [&] { drained = true; });  // the deadline is now
  while (!drained) uv_run(&rig.loop, UV_RUN_NOWAIT);
  EXPECT_EQ(rig.admission->stats().backlog, 0u);
  EXPECT_TRUE(rig.socket.empty()) << "100 recipients are still on the sender";
  rig.finish_all(Status::Delivered);
  ASSERT_EQ(rig.socket.size(), 1u);
  const std::string& a = rig.socket[0].second;
  size_t shutdown = 0, delivered = 0;
  for (size_t p = 0; (p = a.find("\"reason\":\"shutdown\"", p)) != std::string::npos; ++p) ++shutdown;
  for (size_t p = 0; (p = a.find("\"status\":\"delivered\"", p)) != std::string::npos; ++p) ++delivered;
  EXPECT_EQ(shutdown, 50u);
  EXPECT_EQ(delivered, 100u);
}

TEST(Admission, AStoreOutageRefusesSendsAndStopsTheSourceUntilItRecovers) {
  Rig rig({});
  rig.store_down = true;
  rig.send(testing::send_line(2, false));
  EXPECT_EQ(rig.lanes.load(), 0u) << "nothing accepted";
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_NE(rig.socket[0].second.find(R"("ok":false,"error":"store_unavailable")"), std::string::npos)
      << rig.socket[0].second;
  EXPECT_FALSE(rig.admission->may_submit()) << "the source waits too";
  rig.store_down = false;
  EXPECT_TRUE(rig.admission->may_submit());
  rig.send(testing::send_line(2, false));
  EXPECT_EQ(rig.lanes.load(), 2u) << "accepted again once the store commits";
}

}  // namespace
}  // namespace pushgw::admission
