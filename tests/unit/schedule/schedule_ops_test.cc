// The schedule ops through the registry: "scheduled" lists one entry per
// recipient (truncated at limit), "cancel" answers from the store thread,
// "test_clock" moves the scheduling clock; no store: unavailable.
#include "schedule/schedule_ops.h"

#include <gtest/gtest.h>

#include <memory>

#include "fakes.h"
#include "ingest/request_parser.h"
#include "loop/loop.h"

namespace pushgw::schedule {
namespace {

using namespace testing;

struct Answers : ingest::Replier {
  std::vector<std::string> lines;
  void answer(uint64_t, std::string line) override { lines.push_back(std::move(line)); }
  std::function<void(std::string)> answer_later(uint64_t) override {
    return [this](std::string line) { lines.push_back(std::move(line)); };
  }
};

class ScheduleOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    work_ = std::make_unique<loop::PendingOps>(&loop_);
    inbox_ = std::make_unique<loop::Inbox>(&loop_);
  }
  void TearDown() override {
    sched_.reset();
    rows_ = FakeRows{};
    inbox_.reset();
    work_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0);
  }
  void make(RowStore* rows, OffsetClock* test_clock = nullptr) {
    Scheduler::Deps d;
    d.loop = &loop_;
    d.rows = rows;
    d.clock = test_clock ? static_cast<const Clock*>(test_clock) : &clock_;
    d.inbox = inbox_.get();
    d.work = work_.get();
    sched_ = std::make_unique<Scheduler>(std::move(d));
    sched_->set_intake(&intake_);
    register_schedule_ops(ops_, *sched_, test_clock);
  }
  void run(std::string_view line) {
    ASSERT_TRUE(parser_.parse(line).ok());
    ops_.dispatch(parser_.op(), ingest::OpCall{1, parser_.id_json(), parser_.root(), &answers_});
  }

  uv_loop_t loop_{};
  FakeClock clock_;
  FakeRows rows_;
  FakeIntake intake_;
  std::unique_ptr<loop::PendingOps> work_;
  std::unique_ptr<loop::Inbox> inbox_;
  std::unique_ptr<Scheduler> sched_;
  ingest::OpRegistry ops_;
  ingest::RequestParser parser_;
  Answers answers_;
};

TEST_F(ScheduleOpsTest, ScheduledListsOneEntryPerRecipientAndTruncatesAtLimit) {
  make(&rows_);
  run(R"({"op":"scheduled","id":1,"schedule_key":"k1","limit":2})");
  ASSERT_EQ(rows_.lists.size(), 1u);
  EXPECT_EQ(rows_.lists[0].key, "k1");
  EXPECT_EQ(rows_.lists[0].limit, 3u) << "one more row than limit tells whether the list is truncated";
  store::ScheduledSend r;
  r.id = 0x2a;
  r.due_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  r.campaign = "c";
  r.line = R"({"op":"send","notifications":[{"platform":"apns","app":"shop","tokens":["t1","t2","t3"]}]})";
  rows_.lists[0].cb(std::vector<store::ScheduledSend>{r});
  EXPECT_TRUE(answers_.lines.empty());
  uv_run(&loop_, UV_RUN_NOWAIT);
  ASSERT_EQ(answers_.lines.size(), 1u);
  EXPECT_EQ(answers_.lines[0],
            R"({"id":1,"ok":true,"schedule_key":"k1","scheduled":[)"
            R"({"id":"000000000000002a","send_at":"2026-01-01T00:00:00Z","reason":"send_at","platform":"apns","app":"shop","token":"t1","campaign":"c"},)"
            R"({"id":"000000000000002a","send_at":"2026-01-01T00:00:00Z","reason":"send_at","platform":"apns","app":"shop","token":"t2","campaign":"c"}],)"
            R"("truncated":true})");
}

TEST_F(ScheduleOpsTest, CancelAnswersWithTheStoresCount) {
  make(&rows_);
  run(R"({"op":"cancel","id":"c","schedule_key":"k2"})");
  ASSERT_EQ(rows_.cancels.size(), 1u);
  EXPECT_EQ(rows_.cancels[0].first, "k2");
  rows_.cancels[0].second(uint64_t{5});
  ASSERT_EQ(answers_.lines.size(), 1u);
  EXPECT_EQ(answers_.lines[0], R"({"id":"c","ok":true,"cancelled":5})");
}

TEST_F(ScheduleOpsTest, BadRequestsAndNoStore) {
  make(&rows_);
  run(R"({"op":"cancel","id":1})");
  run(R"({"op":"scheduled","id":2,"schedule_key":"k","limit":0})");
  make(nullptr);
  run(R"({"op":"cancel","id":3,"schedule_key":"k"})");
  ASSERT_EQ(answers_.lines.size(), 3u);
  EXPECT_EQ(answers_.lines[0],
            R"({"id":1,"ok":false,"error":"bad_request","message":"cancel needs a non-empty \"schedule_key\" string"})");
  EXPECT_EQ(answers_.lines[1],
            R"({"id":2,"ok":false,"error":"bad_request","message":"'limit' must be a positive integer"})");
  EXPECT_EQ(answers_.lines[2], R"({"id":3,"ok":false,"error":"unavailable","message":"no store configured"})");
  EXPECT_TRUE(rows_.cancels.empty());
}

TEST_F(ScheduleOpsTest, TestClockOnlyWithTestHooksAndItMovesTheSchedulingClock) {
  make(&rows_);
  EXPECT_FALSE(ops_.has("test_clock"));
  OffsetClock clock;
  ingest::OpRegistry fresh;
  ops_ = std::move(fresh);
  make(&rows_, &clock);
  ASSERT_TRUE(ops_.has("test_clock"));
  const int64_t before = clock.now_ms();
  run(R"({"op":"test_clock","id":4,"advance_ms":3600000})");
  EXPECT_GE(clock.now_ms(), before + 3'600'000);
  ASSERT_EQ(answers_.lines.size(), 1u);
  EXPECT_EQ(answers_.lines[0].rfind(R"({"id":4,"ok":true,"now_ms":)", 0), 0u);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(rows_.claims.size(), 1u) << "rows due at the new time are claimed at once";
}

}  // namespace
}  // namespace pushgw::schedule
