// PendingOps (tokens, when_idle from the loop and from other threads), Inbox
// (post, bind: tokens held until the task ran) and Loop (closes what its
// users closed).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "loop/inbox.h"
#include "loop/loop.h"
#include "loop/pending_ops.h"
#include "loop/timer.h"

namespace pushgw::loop {
namespace {

class PendingTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override { EXPECT_EQ(run_and_close(&loop_), 0) << describe_handles(&loop_); }
  uv_loop_t loop_{};
};

TEST_F(PendingTest, CountsLiveTokens) {
  PendingOps ops(&loop_);
  EXPECT_EQ(ops.count(), 0u);
  auto a = ops.hold();
  {
    auto b = ops.hold();
    EXPECT_EQ(ops.count(), 2u);
    auto moved = std::move(b);
    EXPECT_FALSE(b.held());
    EXPECT_EQ(ops.count(), 2u);  // moving does not count twice
  }
  EXPECT_EQ(ops.count(), 1u);
  a.reset();
  a.reset();  // idempotent
  EXPECT_EQ(ops.count(), 0u);
}

TEST_F(PendingTest, WhenIdleRunsAtOnceWhenNothingIsPending) {
  PendingOps ops(&loop_);
  int called = 0;
  ops.when_idle([&] { ++called; });
  EXPECT_EQ(called, 1);
}

TEST_F(PendingTest, WhenIdleWaitsForTheLastTokenReleasedOnTheLoop) {
  PendingOps ops(&loop_);
  auto a = ops.hold();
  auto b = ops.hold();
  int called = 0;
  ops.when_idle([&] { ++called; });
  EXPECT_EQ(called, 0);
  a.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(called, 0) << "one operation is still pending";
  b.reset();
  uv_run(&loop_, UV_RUN_ONCE);  // the release rang the doorbell
  EXPECT_EQ(called, 1);
}

TEST_F(PendingTest, ATokenReleasedOnAnotherThreadWakesTheWaiterOnTheLoop) {
  PendingOps ops(&loop_);
  auto token = ops.hold();
  std::thread::id ran_on;
  ops.when_idle([&] { ran_on = std::this_thread::get_id(); });
  std::thread other([t = std::move(token)]() mutable { t.reset(); });
  other.join();
  uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST_F(PendingTest, CancelledWaiterIsNotCalled) {
  PendingOps ops(&loop_);
  auto token = ops.hold();
  int called = 0;
  ops.when_idle([&] { ++called; });
  ops.cancel_wait();
  token.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(called, 0);
}

TEST_F(PendingTest, TokensAloneDoNotKeepTheLoopAlive) {
  PendingOps ops(&loop_);
  auto token = ops.hold();
  uv_run(&loop_, UV_RUN_DEFAULT);  // returns although an operation is pending
  int called = 0;
  ops.when_idle([&] { ++called; });  // a waiter does keep it alive...
  std::thread other([t = std::move(token)]() mutable { t.reset(); });
  uv_run(&loop_, UV_RUN_DEFAULT);  // ...until the last token is gone
  other.join();
  EXPECT_EQ(called, 1);
}

TEST_F(PendingTest, InboxRunsPostsOnTheLoopInOrder) {
  Inbox inbox(&loop_);
  std::vector<int> seen;
  std::thread other([&] {
    for (int i = 0; i < 3; ++i) inbox.post([&seen, i] { seen.push_back(i); });
  });
  other.join();
  EXPECT_TRUE(seen.empty()) << "nothing runs before the loop turns";
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

TEST_F(PendingTest, BoundCallbackHoldsItsTokenUntilItRanOnTheLoop) {
  PendingOps ops(&loop_);
  Inbox inbox(&loop_);
  std::string got;
  std::thread::id ran_on;
  auto cb = inbox.bind<std::string>(ops.hold(), [&](std::string s) {
    got = std::move(s);
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(ops.count(), 1u);
  std::thread store_thread([cb] {
    cb("answer");
    cb("ignored: a second call does nothing");
  });
  store_thread.join();
  EXPECT_EQ(ops.count(), 1u) << "still pending: the answer has not been handled on the loop";
  EXPECT_TRUE(got.empty());
  bool idle = false;
  ops.when_idle([&] { idle = true; });
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(got, "answer");
  while (!idle) uv_run(&loop_, UV_RUN_ONCE);  // the release rang; the waiter runs on a later turn
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(ops.count(), 0u);
}

TEST_F(PendingTest, ABoundCallbackNeverCalledReleasesItsTokenWhenDropped) {
  PendingOps ops(&loop_);
  Inbox inbox(&loop_);
  {
    auto cb = inbox.bind<int>(ops.hold(), [](int) { FAIL() << "never called"; });
    EXPECT_EQ(ops.count(), 1u);
  }
  EXPECT_EQ(ops.count(), 0u);
}

TEST_F(PendingTest, ResultsAreMovedNotCopied) {
  PendingOps ops(&loop_);
  Inbox inbox(&loop_);
  std::unique_ptr<int> got;
  auto holder = std::make_shared<std::unique_ptr<int>>(std::make_unique<int>(7));
  auto cb = inbox.bind<std::shared_ptr<std::unique_ptr<int>>>(
      ops.hold(), [&](std::shared_ptr<std::unique_ptr<int>> p) { got = std::move(*p); });
  cb(std::move(holder));
  uv_run(&loop_, UV_RUN_NOWAIT);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 7);
}

TEST(LoopOwner, ClosesWhatItsUsersClosed) {
  bool closed = false;
  {
    Loop loop;
    auto timer = std::make_unique<Timer>(loop.get(), [] {});
    timer->start(1);
    loop.run();
    timer->close([&] { closed = true; });
    timer.reset();
  }  // ~Loop runs the close callback
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace pushgw::loop
