#include "daemon/systemd/watchdog.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pushgw::systemd {
namespace {

bool pinged(const std::string& state) { return state.find("WATCHDOG=1") != std::string::npos; }

struct LoopFixture : ::testing::Test {
  uv_loop_t loop{};
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop), 0); }
  void TearDown() override {
    uv_run(&loop, UV_RUN_DEFAULT);  // lets closed handles finish
    EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle was left open";
  }
};

using WatchdogTest = LoopFixture;

TEST_F(WatchdogTest, PingsOnlyWhenEverySourceAdvanced) {
  std::vector<std::string> sent;
  std::atomic<uint64_t> main_turns{0}, sender_turns{0};
  Watchdog::Options o;
  o.interval_ms = 1000;
  o.notify = [&](std::string_view s) { sent.emplace_back(s); };
  o.status = [] { return std::string("queued=3 delivered=10"); };
  Watchdog w(&loop, o);
  w.add_source("main", &main_turns);
  w.add_source("sender-1", &sender_turns);

  ++main_turns;
  ++sender_turns;
  EXPECT_TRUE(w.check());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "WATCHDOG=1\nSTATUS=queued=3 delivered=10");

  ++main_turns;  // sender-1 is stuck
  EXPECT_FALSE(w.check());
  EXPECT_FALSE(pinged(sent[1]));
  EXPECT_EQ(sent[1], "STATUS=queued=3 delivered=10; stalled: sender-1");
  EXPECT_EQ(w.stalled(), std::vector<std::string>{"sender-1"});

  ++main_turns;  // still stuck: still no ping
  EXPECT_FALSE(w.check());
  EXPECT_FALSE(pinged(sent[2]));

  ++main_turns;
  ++sender_turns;  // recovered
  EXPECT_TRUE(w.check());
  EXPECT_TRUE(w.stalled().empty());
  EXPECT_EQ(w.pings(), 2u);
}

TEST_F(WatchdogTest, WithoutSystemdWatchdogSendsStatusOnly) {
  std::vector<std::string> sent;
  std::atomic<uint64_t> turns{0};
  Watchdog::Options o;
  o.interval_ms = 1000;
  o.ping = false;
  o.notify = [&](std::string_view s) { sent.emplace_back(s); };
  o.status = [] { return std::string("ok\nsecond line"); };
  Watchdog w(&loop, o);
  w.add_source("main", &turns);
  ++turns;
  EXPECT_FALSE(w.check());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "STATUS=ok second line");  // one line: a newline would end the assignment
}

// The test hook of the issue: a real sender loop on its own thread, whose
// periodic timer can be made to hang. While it hangs, the watchdog (on the
// main loop, with its real timer) must not send WATCHDOG=1.
class SenderLoop {
 public:
  SenderLoop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &timer_);
    timer_.data = this;
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<SenderLoop*>(a->data);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->timer_), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
    });
    stop_.data = this;
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<SenderLoop*>(t->data)->tick(); }, 1, 1);
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~SenderLoop() {
    set_stuck(false);
    uv_async_send(&stop_);
    thread_.join();
    uv_loop_close(&loop_);
  }
  void set_stuck(bool stuck) {
    std::lock_guard lock(mu_);
    stuck_ = stuck;
    cv_.notify_all();
  }
  std::atomic<uint64_t> turns{0};

 private:
  void tick() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !stuck_; });  // the hang
    turns.fetch_add(1, std::memory_order_relaxed);
  }
  uv_loop_t loop_{};
  uv_timer_t timer_{};
  uv_async_t stop_{};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stuck_ = false;
  std::thread thread_;
};

TEST_F(WatchdogTest, StuckSenderLoopStopsPings) {
  SenderLoop sender;
  std::atomic<uint64_t> main_turns{0};
  uv_timer_t main_tick{};  // the main loop's own heartbeat; keeps the loop alive
  uv_timer_init(&loop, &main_tick);
  main_tick.data = &main_turns;
  uv_timer_start(&main_tick, [](uv_timer_t* t) { ++*static_cast<std::atomic<uint64_t>*>(t->data); }, 1, 1);

  enum Phase { kHealthy, kStuck, kRecovering, kDone } phase = kHealthy;
  int healthy_pings = 0, stalled_in_a_row = 0, checks_while_recovering = 0, checks = 0;
  bool ping_while_stuck = false;
  auto finish = [&](Phase p) {
    phase = p;
    uv_close(reinterpret_cast<uv_handle_t*>(&main_tick), nullptr);
  };
  Watchdog::Options o;
  o.interval_ms = 20;
  o.notify = [&](std::string_view s) {
    const bool ping = pinged(std::string(s));
    if (phase != kDone && ++checks > 2000) {  // a bound instead of a hang if something is broken
      finish(kDone);
      ADD_FAILURE() << "scenario did not complete; phase " << phase;
      return;
    }
    switch (phase) {
      case kHealthy:
        if (ping && ++healthy_pings == 3) {
          sender.set_stuck(true);
          phase = kStuck;
        }
        break;
      case kStuck:
        // The check right after the hang may still see the last turn; from
        // the first stalled check on, every check must withhold the ping.
        if (!ping) {
          ++stalled_in_a_row;
        } else if (stalled_in_a_row > 0) {
          ping_while_stuck = true;
        }
        if (stalled_in_a_row == 5) {
          sender.set_stuck(false);
          phase = kRecovering;
        }
        break;
      case kRecovering:
        ++checks_while_recovering;
        if (ping || checks_while_recovering > 500) finish(kDone);
        break;
      case kDone:
        break;
    }
  };
  auto w = std::make_unique<Watchdog>(&loop, o);
  w->add_source("main", &main_turns);
  w->add_source("sender-1", &sender.turns);
  w->start();
  uv_run(&loop, UV_RUN_DEFAULT);
  w.reset();

  EXPECT_EQ(healthy_pings, 3);
  EXPECT_EQ(stalled_in_a_row, 5);
  EXPECT_FALSE(ping_while_stuck);
  EXPECT_EQ(phase, kDone);
  EXPECT_LE(checks_while_recovering, 500) << "pings never resumed after the loop recovered";
}

TEST(WatchdogEnv, IntervalIsHalfOfWatchdogUsec) {
  setenv("WATCHDOG_USEC", "30000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(watchdog_interval_ms(), 15000u);
  Watchdog::Options o = Watchdog::from_environment();
  EXPECT_TRUE(o.ping);
  EXPECT_EQ(o.interval_ms, 15000u);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(watchdog_interval_ms(), 0u);
  o = Watchdog::from_environment(5000);
  EXPECT_FALSE(o.ping);
  EXPECT_EQ(o.interval_ms, 5000u);
}

TEST(SdNotify, LifecycleMessages) {
  std::vector<std::string> sent;
  NotifyFn fake = [&](std::string_view s) { sent.emplace_back(s); };
  notify_ready(fake, "listening");
  notify_reloading(fake);
  notify_stopping(fake, "");
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], "READY=1\nSTATUS=listening");
  EXPECT_EQ(sent[1].rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u);
  EXPECT_EQ(sent[2], "STOPPING=1");
}

}  // namespace
}  // namespace pushgw::systemd
