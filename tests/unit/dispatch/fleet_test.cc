// Fleet: ring shares, push/wake into lanes, waited batches handed back on the
// loop thread, stop() reported once every sender stopped, summed stats.
#include "dispatch/fleet.h"

#include <gtest/gtest.h>

#include <thread>

#include "loop/loop.h"
#include "loop/timer.h"
#include "obs/log.h"

namespace pushgw::dispatch {
namespace {

// Never asked to send: the jobs below are expired before they are popped.
class IdleProvider final : public Provider {
 public:
  Platform platform() const override { return Platform::Apns; }
  std::string_view origin(const Batch&, uint32_t) const override { return "api.push.example:443"; }
  Result<void> build(const Batch&, uint32_t, int64_t, HttpRequest&) override {
    return make_error("unexpected", "nothing is sent in these tests");
  }
  Verdict classify(const HttpResponse&, int64_t) const override { return Verdict{}; }
};

std::shared_ptr<AppTable> one_app() {
  auto t = std::make_shared<AppTable>();
  AppRuntime a;
  a.app_id = 0;
  a.platform = Platform::Apns;
  a.name = "shop";
  a.make_provider = [] { return std::make_unique<IdleProvider>(); };
  t->push_back(std::move(a));
  return t;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    // The fleet's doorbell does not keep a loop alive by itself (the
    // daemon's socket does): this timer plays that part.
    keepalive_ = std::make_unique<loop::Timer>(&loop_, [] {});
    keepalive_->start(3'600'000);
  }
  void TearDown() override {
    keepalive_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
  }

  std::unique_ptr<Fleet> make(int workers, size_t max_queued) {
    Fleet::Options o;
    o.sender.apps = one_app();
    o.sender.clock = &clock_;
    o.sender.log = obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Error), "test");
    o.workers = workers;
    o.max_queued = max_queued;
    Fleet::Hooks h;
    h.completed = [this](Batch* b) {
      EXPECT_EQ(std::this_thread::get_id(), loop_thread_) << "handed back on the loop thread";
      completed_.emplace_back(b);
    };
    h.room = [this] { ++rooms_; };
    return std::make_unique<Fleet>(&loop_, std::move(o), std::move(h));
  }

  // A waited batch of n APNs recipients that expired an hour ago.
  static std::unique_ptr<Batch> expired_batch(uint32_t n) {
    auto b = std::make_unique<Batch>();
    b->platform = Platform::Apns;
    b->wait = true;
    b->request_id = 42;
    b->expires_at_ms = 1;
    b->arena = "tok";
    for (uint32_t i = 0; i < n; ++i) b->recipients.push_back(Recipient{0, 3});
    b->results.resize(n);
    b->pending.store(n);
    return b;
  }

  void stop(Fleet& f) {
    bool stopped = false;
    f.stop(clock_.mono_ns() + 1'000'000'000, [&] { stopped = true; });
    while (!stopped) uv_run(&loop_, UV_RUN_ONCE);
  }

  uv_loop_t loop_{};
  std::unique_ptr<loop::Timer> keepalive_;
  SystemClock clock_;
  std::thread::id loop_thread_ = std::this_thread::get_id();
  std::vector<std::unique_ptr<Batch>> completed_;
  int rooms_ = 0;
};

TEST_F(FleetTest, RingsShareMaxQueuedAndPushesLandInTheirLane) {
  auto f = make(2, 4096);
  EXPECT_EQ(f->count(), 2);
  EXPECT_EQ(f->share(), 4096u) << "2048 per sender";
  Batch* b = expired_batch(3).release();
  SendJob jobs[3] = {{b, 0}, {b, 1}, {b, 2}};
  EXPECT_EQ(f->push(1, jobs, 3), 3u);
  EXPECT_EQ(f->load(), 3u);
  EXPECT_EQ(f->queued(), 3u);
  f->start();  // not woken: lane 1's sender finds its jobs by itself (housekeeping) or when stopping
  stop(*f);
  ASSERT_EQ(completed_.size(), 1u);
  EXPECT_EQ(completed_[0].get(), b);
  EXPECT_EQ(f->load(), 0u);
}

TEST_F(FleetTest, AFinishedWaitedBatchComesBackOnTheLoopAndIsCounted) {
  auto f = make(2, 2048);
  auto b = expired_batch(3);
  Batch* raw = b.release();
  SendJob jobs[3] = {{raw, 0}, {raw, 1}, {raw, 2}};
  ASSERT_EQ(f->push(0, jobs, 3), 3u);
  f->start();
  f->wake(0);
  while (completed_.empty()) uv_run(&loop_, UV_RUN_ONCE);
  ASSERT_EQ(completed_.size(), 1u);
  EXPECT_EQ(completed_[0].get(), raw);
  for (const ResultSlot& r : raw->results) EXPECT_EQ(r.status, Status::Expired);
  EXPECT_GE(rooms_, 1) << "the doorbell also reports freed ring space";
  const FleetStats s = f->stats();
  EXPECT_EQ(s.platform[static_cast<int>(Platform::Apns)].expired, 3u);
  EXPECT_EQ(s.platform[static_cast<int>(Platform::Fcm)].expired, 0u);
  EXPECT_EQ(s.workers, 2);
  stop(*f);
}

TEST_F(FleetTest, StopReportsOnceEverySenderHasStopped) {
  auto f = make(3, 0);
  f->start();
  int calls = 0;
  f->stop(clock_.mono_ns() + 1'000'000'000, [&] {
    ++calls;
    EXPECT_TRUE(f->stopped());
  });
  while (calls == 0) uv_run(&loop_, UV_RUN_ONCE);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(calls, 1);
  f->stop(clock_.mono_ns(), [&] { ++calls; });  // a second stop is ignored
  EXPECT_EQ(calls, 1);
}

TEST_F(FleetTest, HeartbeatsAndTestStallNameRealSenders) {
  auto f = make(2, 0);
  auto hb = f->heartbeats();
  ASSERT_EQ(hb.size(), 2u);
  EXPECT_EQ(hb[0].first, "sender0");
  EXPECT_EQ(hb[1].first, "sender1");
  EXPECT_NE(hb[0].second, hb[1].second);
  EXPECT_FALSE(f->test_stall(-1, 10));
  EXPECT_FALSE(f->test_stall(2, 10));
  EXPECT_TRUE(f->test_stall(1, 0));
  f->start();
  stop(*f);
}

}  // namespace
}  // namespace pushgw::dispatch
