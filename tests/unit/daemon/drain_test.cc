// Drain: intake, then senders, then owed answers (with a grace past the
// deadline), then other threads' results (always): each step starts only
// when the one before it is over, and pending work is tokens, not counters.
#include "daemon/drain.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loop/loop.h"

namespace pushgw::daemon {
namespace {

struct FakeClock final : Clock {
  int64_t mono = 1'000'000'000'000;
  int64_t now_ms() const override { return mono / 1'000'000; }
  int64_t mono_ns() const override { return mono; }
};

class DrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    answers_ = std::make_unique<loop::PendingOps>(&loop_);
    work_ = std::make_unique<loop::PendingOps>(&loop_);
    Drain::Steps steps;
    steps.intake = [this](int64_t deadline, std::function<void()> done) {
      log_.push_back("intake");
      deadline_ = deadline;
      intake_done_ = std::move(done);
    };
    steps.senders = [this](int64_t deadline, std::function<void()> done) {
      log_.push_back("senders");
      EXPECT_EQ(deadline, deadline_) << "one deadline for both";
      senders_done_ = std::move(done);
    };
    drain_ = std::make_unique<Drain>(&loop_, clock_, *answers_, *work_, std::move(steps));
  }
  void TearDown() override {
    drain_.reset();
    work_.reset();
    answers_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
  }
  void run_until_done() {
    while (!done_) uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_{};
  FakeClock clock_;
  std::unique_ptr<loop::PendingOps> answers_, work_;
  std::unique_ptr<Drain> drain_;
  std::vector<std::string> log_;
  int64_t deadline_ = 0;
  std::function<void()> intake_done_, senders_done_;
  bool done_ = false;
};

TEST_F(DrainTest, StepsRunInOrderAndEachWaitsForTheOneBefore) {
  auto answer = answers_->hold();
  auto result = work_->hold();
  drain_->start(30'000, [this] { done_ = true; });
  EXPECT_EQ(deadline_, clock_.mono + 30'000'000'000);
  EXPECT_EQ(log_, (std::vector<std::string>{"intake"})) << "the senders stop only once the backlog is in";
  intake_done_();
  EXPECT_EQ(log_, (std::vector<std::string>{"intake", "senders"}));
  senders_done_();
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_FALSE(done_) << "an answer is still owed";
  answer.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_FALSE(done_) << "a spool commit is still on its way";
  result.reset();
  run_until_done();
  EXPECT_TRUE(drain_->started());
}

TEST_F(DrainTest, OwedAnswersAreWaitedForOnlyUntilTheGraceEnds) {
  auto stuck = answers_->hold();  // e.g. a store that never commits
  drain_->start(1000, [this] { done_ = true; });
  intake_done_();
  clock_.mono += (1000 + Drain::kAnswerGraceMs) * 1'000'000;  // the senders took until past the grace
  senders_done_();
  run_until_done();
  EXPECT_EQ(answers_->count(), 1u) << "closed on the client still waiting";
  stuck.reset();
}

TEST_F(DrainTest, OtherThreadsResultsAreAlwaysWaitedFor) {
  auto result = work_->hold();
  drain_->start(0, [this] { done_ = true; });
  intake_done_();
  clock_.mono += 3'600'000'000'000;
  senders_done_();
  for (int i = 0; i < 5; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_FALSE(done_) << "its callback would post to a closed loop";
  result.reset();
  run_until_done();
}

TEST_F(DrainTest, ASecondStartIsIgnored) {
  drain_->start(0, [this] { done_ = true; });
  drain_->start(0, [] { FAIL() << "only the first drain runs"; });
  EXPECT_EQ(log_.size(), 1u);
  intake_done_();
  senders_done_();
  run_until_done();
}

}  // namespace
}  // namespace pushgw::daemon
