// RequestTracker: an answer goes out only once every durability step it
// vouches for is done (spool record, stored scheduled rows, the store's
// commit of waited verdicts), each step pending for the drain until then.
#include "admission/request_tracker.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace pushgw::admission {
namespace {

using testing::Rig;

// The scheduler claims one due row of `tokens` recipients and runs it.
void run_due_row(Rig& rig, int64_t id, int tokens) {
  rig.scheduler->start();
  rig.turn();
  ASSERT_EQ(rig.rows.claims.size(), 1u);
  store::ScheduledSend row;
  row.id = id;
  row.line = testing::send_line(tokens, false);
  store::ClaimedSends c;
  c.rows.push_back(row);
  rig.rows.claims[0].cb(std::move(c));
  rig.turn();
}

TEST(RequestTracker, AWaitFalseAnswerWaitsForTheSpoolsGroupCommit) {
  Rig rig({.spool = true});
  rig.send(testing::send_line(2, false));
  ASSERT_EQ(rig.journal.entries.size(), 1u);
  EXPECT_EQ(rig.journal.entries[0].counts.size(), 1u);
  EXPECT_EQ(rig.lanes.load(), 2u) << "queued at once";
  EXPECT_EQ(rig.lanes.rings[0][0].batch->request_id, 100u) << "the spool's sequence number";
  EXPECT_TRUE(rig.socket.empty()) << "not acknowledged before the record is durable";
  EXPECT_EQ(rig.work_ops->count(), 1u);
  rig.journal.entries[0].on_commit(true);  // the writer thread
  EXPECT_TRUE(rig.socket.empty()) << "the answer is written on the loop";
  rig.turn();
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_EQ(rig.socket[0].second, R"({"id":7,"ok":true,"accepted":2,"rejected":[]})");
  EXPECT_EQ(rig.work_ops->count(), 0u);
}

TEST(RequestTracker, ASpoolThatCannotWriteIsAnsweredSpoolFailed) {
  Rig rig({.spool = true});
  rig.send(testing::send_line(1, false), Clients::source_conn(9));
  rig.journal.entries[0].on_commit(false);
  rig.turn();
  ASSERT_EQ(rig.source.answers.size(), 1u);
  EXPECT_EQ(rig.source.answers[0], std::make_pair(uint64_t{9}, ingest::Answer::Retry));
  EXPECT_NE(rig.source.lines[0].find(R"("error":"spool_failed")"), std::string::npos);
}

TEST(RequestTracker, AWaitedAnswerWaitsForEveryBatchAndThenTheStoresCommit) {
  Rig rig({.store = true});
  rig.send(testing::send_line(3, true));
  EXPECT_EQ(rig.tracker->waiting(), 1u);
  EXPECT_EQ(rig.answers_ops->count(), 1u);
  rig.finish_all(Status::Delivered);
  EXPECT_TRUE(rig.socket.empty()) << "the verdicts are not committed yet";
  ASSERT_EQ(rig.commits.size(), 1u);
  rig.commits[0]();  // the store thread: committed
  EXPECT_TRUE(rig.socket.empty());
  rig.turn();
  ASSERT_EQ(rig.socket.size(), 1u);
  const std::string& a = rig.socket[0].second;
  EXPECT_EQ(a.rfind(R"({"id":7,"ok":true,"accepted":3,"rejected":[],"results":[{"n":0,"token":")", 0), 0u) << a;
  EXPECT_NE(a.find(R"("status":"delivered"})"), std::string::npos) << a;
  EXPECT_EQ(rig.tracker->waiting(), 0u);
  EXPECT_EQ(rig.answers_ops->count(), 0u);
}

TEST(RequestTracker, DeferredRecipientsAreStoredBeforeTheAnswer) {
  Rig rig({});
  rig.send(testing::send_line(2, false, R"(,"send_at":"2099-01-01T00:00:00Z")"));
  EXPECT_EQ(rig.lanes.load(), 0u) << "nothing to send now";
  ASSERT_EQ(rig.rows.scheduled.size(), 1u);
  EXPECT_EQ(rig.rows.scheduled[0].first[0].recipients, 2u);
  EXPECT_TRUE(rig.socket.empty()) << "not acknowledged before the rows are durable";
  rig.rows.scheduled[0].second(size_t{1});  // the store thread
  rig.turn();
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_EQ(rig.socket[0].second, R"({"id":7,"ok":true,"accepted":2,"rejected":[],"scheduled":2})");
}

TEST(RequestTracker, DeferredRecipientsTheStoreCouldNotKeepAreAnsweredStoreFailed) {
  Rig rig({});
  rig.send(testing::send_line(1, true, R"(,"send_at":"2099-01-01T00:00:00Z")"));
  rig.rows.scheduled[0].second(make_error("store_failed", "disk full"));
  rig.turn();
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_NE(rig.socket[0].second.find(R"("status":"failed","reason":"store_failed","message":"disk full")"),
            std::string::npos)
      << rig.socket[0].second;
}

TEST(RequestTracker, AWaitedSourceRequestIsAcknowledgedWhenJournaledAndAnsweredWhenFinal) {
  Rig rig({.spool = true});
  rig.source.results = true;
  rig.send(testing::send_line(1, false), Clients::source_conn(4));  // results wanted: waited
  EXPECT_EQ(rig.tracker->waiting(), 1u);
  rig.journal.entries[0].on_commit(true);
  rig.turn();
  EXPECT_EQ(rig.source.journaled, (std::vector<std::pair<uint64_t, bool>>{{4, true}}));
  EXPECT_TRUE(rig.source.answers.empty());
  rig.finish_all(Status::Failed);
  ASSERT_EQ(rig.source.answers.size(), 1u);
  EXPECT_EQ(rig.source.answers[0], std::make_pair(uint64_t{4}, ingest::Answer::Final));
}

TEST(RequestTracker, WithoutASpoolAShutdownFailureInterruptsASourceRequest) {
  Rig rig({});
  rig.send(testing::send_line(1, false), Clients::source_conn(6));  // no spool: always waited
  for (auto& r : rig.lanes.rings)
    for (const SendJob& j : r) j.batch->results[j.idx].reason = "shutdown";
  rig.finish_all(Status::Failed);
  ASSERT_EQ(rig.source.answers.size(), 1u);
  EXPECT_EQ(rig.source.answers[0], std::make_pair(uint64_t{6}, ingest::Answer::Interrupted))
      << "left unacknowledged, to be delivered again";
}

TEST(RequestTracker, AnAnswerVouchingForBothWaitsForTheSpoolAndTheStoredRows) {
  Rig rig({.spool = true});
  const std::string now = R"({"platform":"apns","app":"shop","tokens":[")" + testing::token(1) +
                          R"("],"payload":{"aps":{"alert":"now"}}})";
  const std::string later = R"({"platform":"apns","app":"shop","tokens":[")" + testing::token(2) +
                            R"("],"payload":{"aps":{"alert":"later"}},"send_at":"2099-01-01T00:00:00Z"})";
  rig.send(R"({"op":"send","id":3,"notifications":[)" + now + "," + later + "]}");
  ASSERT_EQ(rig.journal.entries.size(), 1u);
  ASSERT_EQ(rig.rows.scheduled.size(), 1u);
  rig.rows.scheduled[0].second(size_t{1});
  rig.turn();
  EXPECT_TRUE(rig.socket.empty()) << "the spool record is not durable yet";
  rig.journal.entries[0].on_commit(true);
  rig.turn();
  ASSERT_EQ(rig.socket.size(), 1u);
  EXPECT_EQ(rig.socket[0].second, R"({"id":3,"ok":true,"accepted":2,"rejected":[],"scheduled":1})");
}

TEST(RequestTracker, ADueRowIsDeletedOnlyAfterItsSpoolRecordIsDurable) {
  Rig rig({.spool = true});
  run_due_row(rig, 77, 2);
  EXPECT_EQ(rig.lanes.load(), 2u) << "sent like a socket request";
  ASSERT_EQ(rig.journal.entries.size(), 1u);
  EXPECT_TRUE(rig.rows.finished.empty());
  rig.journal.entries[0].on_commit(true);
  rig.turn();
  EXPECT_EQ(rig.rows.finished, (std::vector<std::vector<int64_t>>{{77}}));
  EXPECT_TRUE(rig.socket.empty()) << "nobody waits for a scheduled row";
}

TEST(RequestTracker, WithoutASpoolADueRowIsDeletedOnlyAfterItsOutcomesAreCommitted) {
  Rig rig({.store = true});
  run_due_row(rig, 78, 2);
  EXPECT_EQ(rig.lanes.load(), 2u);
  EXPECT_TRUE(rig.rows.finished.empty()) << "queued in memory only: a crash now would lose it";
  rig.finish_all(Status::Delivered);
  rig.turn();
  EXPECT_TRUE(rig.rows.finished.empty()) << "the verdicts are not committed yet";
  ASSERT_EQ(rig.commits.size(), 1u);
  rig.commits[0]();  // the store thread
  rig.turn();
  EXPECT_EQ(rig.rows.finished, (std::vector<std::vector<int64_t>>{{78}}));
  EXPECT_TRUE(rig.socket.empty()) << "nobody waits for a scheduled row";
}

TEST(RequestTracker, ADueRowTheDrainCutShortIsKeptToRunAgain) {
  Rig rig({.store = true});
  run_due_row(rig, 79, 1);
  for (auto& r : rig.lanes.rings)
    for (const SendJob& j : r) j.batch->results[j.idx].reason = "shutdown";
  rig.finish_all(Status::Failed);
  ASSERT_EQ(rig.commits.size(), 1u);
  rig.commits[0]();
  rig.turn();
  EXPECT_TRUE(rig.rows.finished.empty()) << "never sent: the row stays leased and runs again";
}

TEST(RequestTracker, ASpoolThatCannotWriteLeavesADueRowToItsOutcomes) {
  Rig rig({.spool = true, .store = true});
  run_due_row(rig, 80, 1);
  ASSERT_EQ(rig.journal.entries.size(), 1u);
  rig.journal.entries[0].on_commit(false);
  rig.turn();
  EXPECT_TRUE(rig.rows.finished.empty()) << "not journaled: kept until its outcome";
  rig.finish_all(Status::Delivered);
  ASSERT_EQ(rig.commits.size(), 1u);
  rig.commits[0]();
  rig.turn();
  EXPECT_EQ(rig.rows.finished, (std::vector<std::vector<int64_t>>{{80}}));
}

}  // namespace
}  // namespace pushgw::admission
