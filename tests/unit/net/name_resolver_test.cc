// BoundedResolver with an injected blocking lookup: at most `threads`
// lookups run at once, a full queue or a long wait in it answers Temporary
// at once, and LoopResolver hands answers back on the loop thread.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "loop/loop.h"
#include "net/name_resolver.h"
#include "run_until.h"

namespace pushgw::net {
namespace {

// A lookup that blocks until released, counting how many run at once: slow
// attacker DNS.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> running{0}, peak{0}, calls{0};
  Lookup run(const std::string&) {
    ++calls;
    const int now = ++running;
    for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
    }
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [this] { return open; });
    --running;
    Lookup l;
    l.status = Lookup::Status::Temporary;
    l.error = "slow";
    return l;
  }
  void release() {
    std::lock_guard<std::mutex> g(mu);
    open = true;
    cv.notify_all();
  }
};

struct Answers {
  std::mutex mu;
  std::vector<Lookup> got;
  void add(Lookup l) {
    std::lock_guard<std::mutex> g(mu);
    got.push_back(std::move(l));
  }
  size_t size() {
    std::lock_guard<std::mutex> g(mu);
    return got.size();
  }
};

bool wait_for(const std::function<bool()>& f) {
  for (int i = 0; i < 5000 && !f(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return f();
}

TEST(BoundedResolver, AtMostThreadsLookupsRunAndAFullQueueAnswersTemporaryAtOnce) {
  Gate gate;
  Answers answers;
  {
    BoundedResolver::Options o;
    o.threads = 2;
    o.max_queued = 3;
    BoundedResolver r(o, [&](const std::string& h) { return gate.run(h); });
    auto submit = [&](int i) {
      r.submit("slow" + std::to_string(i) + ".test", [&](Lookup l) { answers.add(std::move(l)); });
    };
    for (int i = 0; i < 2; ++i) submit(i);
    ASSERT_TRUE(wait_for([&] { return gate.running.load() == 2; }));
    for (int i = 2; i < 10; ++i) submit(i);
    // 2 running, 3 queued: the other 5 were answered at once, without a lookup.
    EXPECT_EQ(answers.size(), 5u);
    EXPECT_EQ(r.queued(), 3u);
    {
      std::lock_guard<std::mutex> g(answers.mu);
      for (auto& l : answers.got) {
        EXPECT_EQ(l.status, Lookup::Status::Temporary);
        EXPECT_EQ(l.error, "resolver busy");
      }
    }
    gate.release();
    ASSERT_TRUE(wait_for([&] { return answers.size() == 10; }));
  }
  EXPECT_EQ(gate.peak.load(), 2);
  EXPECT_EQ(gate.calls.load(), 5);
}

TEST(BoundedResolver, LookupThatWaitedPastTheQueueTimeoutIsNotRun) {
  Gate gate;
  Answers answers;
  BoundedResolver::Options o;
  o.threads = 1;
  o.queue_timeout_ms = 50;
  BoundedResolver r(o, [&](const std::string& h) { return gate.run(h); });
  r.submit("first.test", [&](Lookup l) { answers.add(std::move(l)); });
  ASSERT_TRUE(wait_for([&] { return gate.running.load() == 1; }));
  r.submit("second.test", [&](Lookup l) { answers.add(std::move(l)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  gate.release();
  ASSERT_TRUE(wait_for([&] { return answers.size() == 2; }));
  EXPECT_EQ(gate.calls.load(), 1);
  EXPECT_EQ(answers.got[1].error, "resolver queue timeout");
}

TEST(LoopResolver, AnswersArriveOnTheLoopThread) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    auto pool = std::make_shared<BoundedResolver>(BoundedResolver::Options{}, [](const std::string& h) {
      Lookup l;
      l.status = h == "good.test" ? Lookup::Status::Ok : Lookup::Status::Failed;
      if (l.status == Lookup::Status::Ok) l.addrs.emplace_back();
      return l;
    });
    LoopResolver lr(&loop, pool);
    const auto loop_thread = std::this_thread::get_id();
    std::vector<std::pair<std::string, Lookup::Status>> got;
    for (const char* h : {"good.test", "bad.test"}) {
      lr.resolve(h, [&, h = std::string(h)](Lookup l) {
        EXPECT_EQ(std::this_thread::get_id(), loop_thread);
        got.emplace_back(h, l.status);
      });
    }
    EXPECT_TRUE(got.empty());  // never inside resolve()
    EXPECT_EQ(lr.pending(), 2u);
    ASSERT_TRUE(testing::run_until(&loop, [&] { return got.size() == 2; }));
    EXPECT_EQ(lr.pending(), 0u);
    for (auto& [h, st] : got) EXPECT_EQ(st, h == "good.test" ? Lookup::Status::Ok : Lookup::Status::Failed);
  }
  EXPECT_EQ(loop::run_and_close(&loop), 0);
}

}  // namespace
}  // namespace pushgw::net
