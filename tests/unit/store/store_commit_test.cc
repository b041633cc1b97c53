// Group commit, after_commit durability/ordering with several producers, and
// event retention driven by an injected clock.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store_file_test.h"
#include "store_test_util.h"

namespace pushgw::store {
namespace {

using namespace testing;

class StoreAfterCommit : public StoreFileTest {};
class StoreGroupCommit : public StoreFileTest {};
class StoreRetention : public StoreFileTest {};
class StoreSuppression : public StoreFileTest {};

TEST_F(StoreGroupCommit, QueuedOutcomesCommitInBatchesOfAtMostBatchMax) {
  StoreOptions opt;
  opt.ring_slots = 16384;
  auto s = open_store(dir.file("pushgw.db"), clock, 1, opt);
  ASSERT_TRUE(s);
  for (uint64_t i = 0; i < 10000; ++i) ASSERT_TRUE(s->record(0, outcome(Kind::Delivered, hex_token(i % 3000))));
  s->start();
  ASSERT_TRUE(flush_sends(*s));
  StoreStats st = s->stats();
  EXPECT_EQ(st.committed_outcomes, 10000u);
  // Sends open no data transaction of their own; one transaction writes the
  // 3000 summed rows.
  EXPECT_EQ(st.transactions, 0u);
  EXPECT_EQ(st.send_flushes, 1u);
  EXPECT_EQ(st.tokens, 3000u);
  EXPECT_EQ(query_int(dir.file("pushgw.db"), "SELECT sum(sent) FROM tokens"), 10000);
}

TEST_F(StoreGroupCommit, StreamingOutcomesShareTransactions) {
  auto s = start_store(dir.file("pushgw.db"), clock);
  ASSERT_TRUE(s);
  const uint64_t n = 50000;
  // Verdicts: sends alone open no data transaction (send_tally.h).
  for (uint64_t i = 0; i < n; ++i) record_spin(*s, 0, outcome(Kind::Invalid, hex_token(i % 5000)));
  ASSERT_TRUE(wait_commit(*s));  // commit interval is 50 ms; we only assert it finishes
  StoreStats st = s->stats();
  EXPECT_EQ(st.committed_outcomes, n);
  // One transaction per outcome would be 50000; group commit needs far fewer.
  EXPECT_LT(st.transactions, n / 50);
  EXPECT_GE(st.transactions, n / 4096);
}

TEST_F(StoreGroupCommit, SingleOutcomeIsCommittedWithoutAfterCommit) {
  auto s = start_store(dir.file("pushgw.db"), clock);
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Delivered, hex_token(1)));
  // The interval commit (<= 50 ms) makes it visible; poll with a generous deadline.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (s->stats().committed_outcomes < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(s->stats().committed_outcomes, 1u);
  EXPECT_EQ(s->stats().barriers, 0u);
}

TEST_F(StoreAfterCommit, RecordsOfFourProducersAreVisibleToAFreshConnectionWhenDoneFires) {
  auto s = start_store(path, clock, 4);
  ASSERT_TRUE(s);
  constexpr int kPer = 5000;
  std::vector<std::thread> senders;
  for (int p = 0; p < 4; ++p) {
    senders.emplace_back([&s, p] {
      for (int i = 0; i < kPer; ++i) {
        std::string t = hex_token(static_cast<uint64_t>(p) * 1'000'000 + static_cast<uint64_t>(i));
        Kind k = i % 100 == 0 ? Kind::Unsubscribed : Kind::Delivered;
        record_spin(*s, p, outcome(k, t, "c", k == Kind::Unsubscribed ? "Unregistered" : ""));
      }
    });
  }
  for (auto& t : senders) t.join();

  auto seen = std::make_shared<std::promise<std::pair<int64_t, int64_t>>>();
  auto f = seen->get_future();
  s->after_commit([seen, path = path] {
    // On the store thread, right when done fires: another connection must
    // already see every outcome recorded before after_commit().
    // Sends without a verdict are summed in memory (send_tally.h): the
    // verdicts' rows are there, the other sends come with the next flush.
    seen->set_value({query_int(path, "SELECT count(*) FROM tokens WHERE state = 2"),
                     query_int(path, "SELECT count(*) FROM events")});
  });
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  auto [unsubscribed, events] = f.get();
  EXPECT_EQ(unsubscribed, 4 * kPer / 100);
  EXPECT_EQ(events, 4 * kPer / 100);
  EXPECT_GE(s->stats().transactions, 1u);
  ASSERT_TRUE(flush_sends(*s));
  EXPECT_EQ(query_int(path, "SELECT sum(sent) FROM tokens"), 4 * kPer);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM tokens WHERE sent = 1 AND last_campaign = 'c'"), 4 * kPer);
}

TEST_F(StoreAfterCommit, CallbacksFireInOrderAndOnlyAfterTheirRecords) {
  auto s = open_store(path, clock, 2);
  ASSERT_TRUE(s);
  std::vector<int> order;  // touched only on the store thread, read after the last fires
  std::vector<int64_t> visible;
  auto last = std::make_shared<std::promise<void>>();
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 100; ++i)
      record_spin(*s, round % 2, outcome(Kind::Invalid, hex_token(static_cast<uint64_t>(round * 100 + i))));
    s->after_commit([&order, &visible, round, path = path, last] {
      order.push_back(round);
      visible.push_back(query_int(path, "SELECT count(*) FROM tokens"));
      if (round == 4) last->set_value();
    });
  }
  s->start();
  ASSERT_EQ(last->get_future().wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  for (int round = 0; round < 5; ++round) EXPECT_GE(visible[static_cast<size_t>(round)], (round + 1) * 100);
}

// Senders record verdicts (enough to make the store thread grow the
// suppression table twice) while other threads check suppression: a verdict
// is visible as soon as record() returned true, on every thread.
TEST_F(StoreSuppression, ChecksFromManyThreadsWhileSendersRecordVerdicts) {
  auto s = start_store(dir.file("pushgw.db"), clock, 3);
  ASSERT_TRUE(s);
  constexpr uint64_t kPer = 30000;
  auto token = [](uint64_t p, uint64_t i) { return hex_token((p + 1) * 10'000'000 + i); };
  std::atomic<uint64_t> progress[3] = {0, 0, 0};
  std::atomic<bool> done{false};
  std::atomic<uint64_t> misses{0}, ghosts{0}, checks{0};

  std::vector<std::thread> threads;
  for (uint64_t p = 0; p < 3; ++p) {
    threads.emplace_back([&, p] {
      for (uint64_t i = 0; i < kPer; ++i) {
        std::string t = token(p, i);
        record_spin(*s, static_cast<int>(p), outcome(Kind::Invalid, t, "", "BadDeviceToken"));
        progress[p].store(i + 1, std::memory_order_release);
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      uint64_t n = static_cast<uint64_t>(r);
      while (!done.load(std::memory_order_relaxed)) {
        const uint64_t p = n % 3;
        const uint64_t upto = progress[p].load(std::memory_order_acquire);
        if (upto > 0 && !s->suppressed(Platform::Apns, "shop-ios", token(p, (n * 7919) % upto))) misses.fetch_add(1);
        if (s->suppressed(Platform::Apns, "shop-ios", token(5, n % 1000))) ghosts.fetch_add(1);
        checks.fetch_add(1, std::memory_order_relaxed);
        ++n;
      }
    });
  }
  for (int p = 0; p < 3; ++p) threads[static_cast<size_t>(p)].join();
  done.store(true);
  for (size_t i = 3; i < threads.size(); ++i) threads[i].join();
  ASSERT_TRUE(wait_commit(*s));

  EXPECT_EQ(misses.load(), 0u);
  EXPECT_EQ(ghosts.load(), 0u);
  EXPECT_GT(checks.load(), 0u);
  StoreStats st = s->stats();
  EXPECT_EQ(st.invalid, 3 * kPer);
  EXPECT_EQ(st.events, 3 * kPer);
  EXPECT_EQ(st.suppressed_entries, 3 * kPer);
  EXPECT_GT(st.suppression_bytes, 3 * kPer * 16);
  for (uint64_t p = 0; p < 3; ++p)
    for (uint64_t i = 0; i < kPer; i += 97) ASSERT_TRUE(s->suppressed(Platform::Apns, "shop-ios", token(p, i)));
}

TEST_F(StoreRetention, OldEventsArePrunedInTheBackgroundStatesStay) {
  StoreOptions opt;
  opt.prune_chunk = 2;  // several chunks
  auto s = start_store(dir.file("pushgw.db"), clock, 1, opt, /*keep_days=*/30);
  ASSERT_TRUE(s);
  for (int i = 0; i < 5; ++i) record_spin(*s, 0, outcome(Kind::Unsubscribed, hex_token(static_cast<uint64_t>(i)), "old"));
  ASSERT_TRUE(wait_commit(*s));
  clock.advance_ms(10LL * 86'400'000);
  for (int i = 5; i < 8; ++i) record_spin(*s, 0, outcome(Kind::Invalid, hex_token(static_cast<uint64_t>(i)), "new"));
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(s->stats().events, 8u);

  clock.advance_ms(25LL * 86'400'000);  // the first five are now 35 days old
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (s->stats().events > 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  StoreStats st = s->stats();
  EXPECT_EQ(st.events, 3u);
  EXPECT_EQ(st.pruned_events, 5u);
  FeedbackPage p = get_feedback(*s, 0, 100);
  ASSERT_EQ(p.events.size(), 3u);
  EXPECT_EQ(p.events[0].seq, 6u);
  EXPECT_EQ(p.events[0].campaign, "new");
  // Token states are not subject to retention.
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(0)).state, "unsubscribed");
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", hex_token(0)));
  EXPECT_EQ(st.tokens, 8u);
}

TEST_F(StoreRetention, ExplicitPruneRemovesEverythingDueAndSeqIsNeverReused) {
  StoreOptions opt;
  opt.prune_chunk = 3;
  opt.prune_interval_ms = int64_t{1} << 50;  // keep the background pass out of the way
  const std::string path = dir.file("pushgw.db");
  {
    auto s = start_store(path, clock, 1, opt, 1);
    ASSERT_TRUE(s);
    for (int i = 0; i < 7; ++i) record_spin(*s, 0, outcome(Kind::Invalid, hex_token(static_cast<uint64_t>(i))));
    ASSERT_TRUE(wait_commit(*s));
    // A read round trip: the store thread has finished the pass that followed
    // the commit (the first background retention pass) before we move time.
    EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(0)).state, "invalid");
    clock.advance_ms(2LL * 86'400'000);
    auto pruned = await<Result<uint64_t>>([&](auto cb) { s->prune(cb); });
    ASSERT_TRUE(pruned && pruned->ok());
    EXPECT_EQ(pruned->value(), 7u);
    EXPECT_EQ(s->stats().events, 0u);
  }
  auto s = start_store(path, clock, 1, opt, 1);
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Unsubscribed, hex_token(100)));
  ASSERT_TRUE(wait_commit(*s));
  FeedbackPage p = get_feedback(*s, 0, 10);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].seq, 8u);
}

TEST_F(StoreRetention, ZeroDaysKeepsEverything) {
  auto s = start_store(dir.file("pushgw.db"), clock, 1, {}, 0);
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Invalid, hex_token(1)));
  ASSERT_TRUE(wait_commit(*s));
  clock.advance_ms(3650LL * 86'400'000);
  auto pruned = await<Result<uint64_t>>([&](auto cb) { s->prune(cb); });
  ASSERT_TRUE(pruned && pruned->ok());
  EXPECT_EQ(pruned->value(), 0u);
  EXPECT_EQ(s->stats().events, 1u);
}

}  // namespace
}  // namespace pushgw::store
