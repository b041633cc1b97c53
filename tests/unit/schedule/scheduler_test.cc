// Scheduler against a fake store: claiming when due, back-pressure, rows
// deleted only after every step, keep() ids, drain.
#include "schedule/scheduler.h"

#include <gtest/gtest.h>

#include <memory>

#include "fakes.h"
#include "loop/loop.h"

namespace pushgw::schedule {
namespace {

using namespace testing;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    work_ = std::make_unique<loop::PendingOps>(&loop_);
    inbox_ = std::make_unique<loop::Inbox>(&loop_);
    make(&rows_);
  }
  void TearDown() override {
    sched_.reset();
    rows_ = FakeRows{};  // drops the callbacks, and their tokens
    intake_.steps.clear();
    inbox_.reset();
    work_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
  }
  void make(RowStore* rows) {
    Scheduler::Deps d;
    d.loop = &loop_;
    d.rows = rows;
    d.clock = &clock_;
    d.inbox = inbox_.get();
    d.work = work_.get();
    d.log = obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Error), "schedule");
    sched_ = std::make_unique<Scheduler>(std::move(d));
    sched_->set_intake(&intake_);
  }
  void turn() { uv_run(&loop_, UV_RUN_NOWAIT); }
  // Answers the latest claim with these rows (as the store thread would).
  void answer_claim(std::vector<int64_t> ids, int64_t next_due = 0) {
    ASSERT_FALSE(rows_.claims.empty());
    store::ClaimedSends c;
    for (int64_t id : ids) c.rows.push_back(row(id));
    c.next_due_ms = next_due;
    rows_.claims.back().cb(std::move(c));
    turn();
  }

  uv_loop_t loop_{};
  FakeClock clock_;
  FakeRows rows_;
  FakeIntake intake_;
  std::unique_ptr<loop::PendingOps> work_;
  std::unique_ptr<loop::Inbox> inbox_;
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(SchedulerTest, ClaimsAtStartAndDeletesEachRowOnceItRan) {
  sched_->start();
  turn();
  ASSERT_EQ(rows_.claims.size(), 1u) << "what fell due while the daemon was down is claimed at once";
  EXPECT_EQ(rows_.claims[0].now_ms, clock_.now);
  EXPECT_EQ(rows_.claims[0].lease_ms, 60'000);
  EXPECT_EQ(rows_.claims[0].limit, Scheduler::kClaimBatch);
  EXPECT_EQ(work_->count(), 1u) << "a claim in flight is pending work";
  answer_claim({11, 12});
  EXPECT_EQ(intake_.ran, (std::vector<int64_t>{11, 12}));
  EXPECT_EQ(rows_.finished, (std::vector<std::vector<int64_t>>{{11}, {12}}));
  EXPECT_TRUE(rows_.released.empty());
}

TEST_F(SchedulerTest, ARowIsDeletedOnlyAfterItsLastStepAndKeptWhenOneFails) {
  intake_.finish_at_once = false;
  sched_->start();
  turn();
  answer_claim({21, 22});
  ASSERT_EQ(intake_.steps.size(), 2u);
  // Row 21: a spool record to wait for besides the run itself.
  intake_.steps[0].add();
  intake_.steps[0].done(true);
  EXPECT_TRUE(rows_.finished.empty()) << "the spool record is not durable yet";
  intake_.steps[0].done(true);
  EXPECT_EQ(rows_.finished, (std::vector<std::vector<int64_t>>{{21}}));
  // Row 22: its re-held recipients could not be stored: the row stays leased.
  intake_.steps[1].add();
  intake_.steps[1].done(false);
  intake_.steps[1].done(true);
  EXPECT_EQ(rows_.finished.size(), 1u);
}

TEST_F(SchedulerTest, FullSendersGiveTheRestBackAndDelayTheNextClaim) {
  sched_->start();
  turn();
  // The first row fills the senders.
  intake_.finish_at_once = true;
  store::ClaimedSends c;
  for (int64_t id : {31, 32, 33}) c.rows.push_back(row(id));
  auto cb = rows_.claims[0].cb;
  struct FillOnRun : Intake {
    FakeIntake& inner;
    explicit FillOnRun(FakeIntake& i) : inner(i) {}
    bool has_room() const override { return inner.room; }
    void run_due(const store::ScheduledSend& r, RowSteps s) override {
      inner.run_due(r, std::move(s));
      inner.room = false;
    }
  } fill(intake_);
  sched_->set_intake(&fill);
  cb(std::move(c));
  turn();
  EXPECT_EQ(intake_.ran, (std::vector<int64_t>{31}));
  EXPECT_EQ(rows_.released, (std::vector<std::vector<int64_t>>{{32, 33}})) << "due rows wait in the store";
  turn();
  EXPECT_EQ(rows_.claims.size(), 1u) << "no claim while the senders are full";
  sched_->set_intake(&intake_);
}

TEST_F(SchedulerTest, KeepStoresRowsWithIdsDerivedFromTheParent) {
  std::vector<ingest::Deferred> a(2), b(2);
  for (auto* v : {&a, &b}) {
    (*v)[0].n = 0;
    (*v)[0].due_ms = clock_.now + 5000;
    (*v)[0].entries = "line0";  // no shared text: the line is the entries
    (*v)[1].n = 3;
    (*v)[1].due_ms = clock_.now + 2000;
    (*v)[1].entries = "line1";
  }
  std::vector<Result<void>> done;
  auto ids_a = sched_->keep(a, 99, "spring", [&](Result<void> r) { done.push_back(r); });
  auto ids_b = sched_->keep(b, 99, "spring", [&](Result<void> r) { done.push_back(r); });
  EXPECT_EQ(ids_a, ids_b) << "the same parent and place give the same id (a retried insert is a no-op)";
  EXPECT_NE(ids_a[0], ids_a[1]);
  ASSERT_EQ(rows_.scheduled.size(), 2u);
  const auto& rows = rows_.scheduled[0].first;
  EXPECT_EQ(rows[0].line, "line0");
  EXPECT_EQ(rows[0].campaign, "spring");
  EXPECT_EQ(rows[1].due_ms, clock_.now + 2000);
  EXPECT_EQ(work_->count(), 2u);
  rows_.scheduled[0].second(size_t{2});
  EXPECT_TRUE(done.empty()) << "answered on the loop, not on the store thread";
  turn();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].ok());
  rows_.scheduled[1].second(make_error("store_failed", "disk full"));
  turn();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[1].ok());
  EXPECT_EQ(work_->count(), 0u);
}

TEST_F(SchedulerTest, KeepWithoutAStoreFailsUnavailable) {
  make(nullptr);
  std::vector<ingest::Deferred> d(1);
  std::vector<Result<void>> done;
  auto ids = sched_->keep(d, 1, "", [&](Result<void> r) { done.push_back(r); });
  EXPECT_EQ(ids, (std::vector<int64_t>{0}));
  turn();
  ASSERT_EQ(done.size(), 1u);
  ASSERT_FALSE(done[0].ok());
  EXPECT_EQ(done[0].error().code, "unavailable");
}

TEST_F(SchedulerTest, StoppedWhileClaimingGivesEveryRowBack) {
  sched_->start();
  turn();
  sched_->stop();
  bool idle = false;
  work_->when_idle([&] { idle = true; });
  EXPECT_FALSE(idle) << "the drain waits for the claim";
  answer_claim({41, 42});
  while (!idle) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_TRUE(intake_.ran.empty());
  EXPECT_EQ(rows_.released, (std::vector<std::vector<int64_t>>{{41, 42}}));
  EXPECT_EQ(rows_.claims.size(), 1u);
}

TEST_F(SchedulerTest, AStoreWithoutScheduledSendsIsNotPolledAgain) {
  sched_->start();
  turn();
  EXPECT_FALSE(sched_->polling()) << "no second claim while one is in flight";
  rows_.claims[0].cb(make_error("store_unsupported", "no scheduled sends here"));
  turn();
  EXPECT_FALSE(sched_->polling());
}

TEST_F(SchedulerTest, AFailedClaimPollsAgainAndAFullBatchClaimsAgainAtOnce) {
  sched_->start();
  turn();
  rows_.claims[0].cb(make_error("store_failed", "connection lost"));
  turn();
  EXPECT_TRUE(sched_->polling());
  sched_->poll_now();
  turn();
  ASSERT_EQ(rows_.claims.size(), 2u);
  std::vector<int64_t> full;
  for (int64_t i = 1; i <= Scheduler::kClaimBatch; ++i) full.push_back(i);
  answer_claim(full, clock_.now + 3'600'000);
  turn();
  EXPECT_EQ(rows_.claims.size(), 3u) << "a full batch may have more due behind it";
}

TEST_F(SchedulerTest, ARowStillBeingSentOrDeletedIsNotSentAgainWhenClaimedAgain) {
  intake_.finish_at_once = false;
  sched_->start();
  turn();
  answer_claim({41});
  ASSERT_EQ(intake_.ran, (std::vector<int64_t>{41}));
  // Its lease ran out while a slow provider held its recipients: the next
  // claim returns it (renewing the lease), and it is not sent twice.
  sched_->poll_now();
  turn();
  ASSERT_EQ(rows_.claims.size(), 2u);
  answer_claim({41});
  EXPECT_EQ(intake_.ran, (std::vector<int64_t>{41}));
  intake_.steps[0].done(true);
  EXPECT_EQ(rows_.finished, (std::vector<std::vector<int64_t>>{{41}}));
  // A claim the store answered before the delete: still not sent again.
  sched_->poll_now();
  turn();
  answer_claim({41});
  EXPECT_EQ(intake_.ran, (std::vector<int64_t>{41}));
  // Once the delete is done, a row of that id (a failed delete, a lease
  // that ended) runs again.
  ASSERT_EQ(rows_.finish_cbs.size(), 1u);
  rows_.finish_cbs[0](make_error("store_failed", "delete failed"));
  turn();
  sched_->poll_now();
  turn();
  answer_claim({41});
  EXPECT_EQ(intake_.ran, (std::vector<int64_t>{41, 41}));
}

}  // namespace
}  // namespace pushgw::schedule
