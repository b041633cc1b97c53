// The store core (Store, Writer, rings, suppression) against a fake Backend:
// no database engine is linked into this binary. The fake records what the
// core asked of it, so each test checks the core's own rules: what is
// committed and when, what a failed commit does, what reads and
// after_commit wait for, and what the core mirrors from other instances.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core_test_util.h"
#include "store/backend.h"
#include "store/store.h"

namespace pushgw::store::testing {
namespace {

using detail::Backend;

// What the fake was asked to do; shared with the test, which outlives it.
struct Ledger {
  std::mutex mu;
  std::vector<std::string> committed;  // "<kind>:<token>", in commit order; "sends:<token>=<sent>,<delivered>,<failed>"
                                       // for a flushed row, "campaign:<name>:<token>" for a send's campaign count
  std::vector<size_t> flushes;         // rows of each committed apply_sends() transaction
  size_t durable = 0;                  // committed[0, durable) reached "stable storage"
  int fail_commits = 0;                // the next N commits fail
  int rollbacks = 0;
  std::vector<std::string> forgotten;
  std::vector<std::string> suppressed_at_open;  // tokens reported by for_each_suppressed
  std::vector<std::string> remote_suppress;     // handed out by the next follow()
  std::map<std::string, std::string> meta;      // claim_meta()
  std::vector<size_t> undurable_at_feedback;    // per feedback read: committed but not durable then

  std::vector<std::string> committed_copy() {
    std::lock_guard<std::mutex> l(mu);
    return committed;
  }
};

std::string kind_name(Kind k) {
  switch (k) {
    case Kind::Delivered: return "delivered";
    case Kind::Invalid: return "invalid";
    case Kind::Unsubscribed: return "unsubscribed";
    default: return "other";
  }
}

class NoCampaigns final : public detail::CampaignOps {
 public:
  Result<size_t> record_engagement(const std::vector<EngagementEvent>& e) override { return e.size(); }
  Result<CampaignReport> campaign(std::string_view) override { return CampaignReport{}; }
};

class NoSchedules final : public detail::ScheduleOps {
 public:
  Result<size_t> schedule(const std::vector<ScheduledSend>& rows) override { return rows.size(); }
  Result<ClaimedSends> claim_due(int64_t, int64_t, int64_t, uint32_t) override { return ClaimedSends{}; }
  Result<void> finish_claimed(const std::vector<int64_t>&) override { return ok(); }
  Result<void> release_claimed(const std::vector<int64_t>&) override { return ok(); }
  Result<uint64_t> cancel_scheduled(std::string_view, int64_t) override { return uint64_t{0}; }
  Result<std::vector<ScheduledSend>> list_scheduled(std::string_view, int64_t, uint32_t) override {
    return std::vector<ScheduledSend>{};
  }
};

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(std::shared_ptr<Ledger> l) : l_(std::move(l)) {}

  int schema_found() const override { return 1; }
  int schema_version() const override { return 1; }
  std::string describe() const override { return "fake"; }
  Result<detail::Counts> counts() override {
    std::lock_guard<std::mutex> g(l_->mu);
    detail::Counts c;
    c.tokens = c.invalid = l_->suppressed_at_open.size();
    return c;
  }
  Result<void> for_each_suppressed(const SuppressedFn& fn) override {
    std::lock_guard<std::mutex> g(l_->mu);
    for (const std::string& t : l_->suppressed_at_open) fn(Platform::Apns, "app", t, 1000);
    return ok();
  }
  Result<void> for_each_marketing_send(int64_t, const MarketingFn&) override { return ok(); }
  Result<std::string> claim_meta(std::string_view key, std::string_view value_if_absent) override {
    std::lock_guard<std::mutex> g(l_->mu);
    return l_->meta.emplace(std::string(key), std::string(value_if_absent)).first->second;
  }

  Result<void> begin(bool full_sync) override {
    pending_.clear();
    full_sync_ = full_sync;
    return ok();
  }
  Result<void> apply(const RecordView& r, detail::TxnDelta& d) override {
    pending_.push_back(kind_name(r.kind) + ":" + std::string(r.token));
    if (r.kind == Kind::Invalid) {
      d.add_state(static_cast<int>(detail::DbState::Invalid), 1);
      d.events += 1;
    }
    return ok();
  }
  Result<void> count_campaign(const RecordView& r) override {
    if (!r.campaign.empty()) pending_.push_back("campaign:" + std::string(r.campaign) + ":" + std::string(r.token));
    return ok();
  }
  Result<void> apply_sends(const std::vector<detail::SendDelta>& rows, detail::TxnDelta&) override {
    for (const detail::SendDelta& d : rows)
      pending_.push_back("sends:" + std::string(d.token) + "=" + std::to_string(d.sent) + "," +
                         std::to_string(d.delivered) + "," + std::to_string(d.failed));
    pending_flush_ = rows.size();
    return ok();
  }
  Result<void> commit(detail::TxnDelta&) override {
    std::lock_guard<std::mutex> g(l_->mu);
    if (l_->fail_commits > 0) {
      --l_->fail_commits;
      return make_error("store_write_failed", "fake commit failure");
    }
    l_->committed.insert(l_->committed.end(), pending_.begin(), pending_.end());
    if (full_sync_) l_->durable = l_->committed.size();
    if (pending_flush_ > 0) l_->flushes.push_back(pending_flush_);
    pending_.clear();
    pending_flush_ = 0;
    return ok();
  }
  void rollback() override {
    std::lock_guard<std::mutex> g(l_->mu);
    pending_.clear();
    pending_flush_ = 0;
    ++l_->rollbacks;
  }
  Result<void> barrier(int64_t) override {
    std::lock_guard<std::mutex> g(l_->mu);
    l_->durable = l_->committed.size();
    return ok();
  }

  Result<TokenState> token(Platform, std::string_view, std::string_view token) override {
    std::lock_guard<std::mutex> g(l_->mu);
    TokenState t;
    t.state = "unknown";
    for (const std::string& c : l_->committed) {
      if (c.rfind("sends:", 0) == 0) {  // "sends:<token>=<sent>,<delivered>,<failed>"
        const size_t eq = c.find('=');
        if (c.substr(6, eq - 6) != token) continue;
        if (t.state == "unknown") t.state = "active";
        unsigned long long n = 0, d = 0, f = 0;
        std::sscanf(c.c_str() + eq + 1, "%llu,%llu,%llu", &n, &d, &f);
        t.sent += n;
        t.delivered += d;
        t.failed += f;
        continue;
      }
      if (c.rfind("campaign:", 0) == 0 || c.substr(c.find(':') + 1) != token) continue;
      t.state = c.rfind("invalid:", 0) == 0 ? "invalid" : "active";
      ++t.sent;
    }
    return t;
  }
  Result<FeedbackPage> feedback(uint64_t since, uint32_t) override {
    std::lock_guard<std::mutex> g(l_->mu);
    l_->undurable_at_feedback.push_back(l_->committed.size() - l_->durable);
    FeedbackPage page;
    page.next = since;
    for (size_t i = 0; i < l_->committed.size(); ++i) {
      const std::string& c = l_->committed[i];
      if (c.rfind("invalid:", 0) != 0 || i + 1 < since) continue;
      Event e;
      e.seq = i + 1;
      e.kind = "invalid";
      e.token = c.substr(c.find(':') + 1);
      page.events.push_back(e);
      page.next = e.seq + 1;
    }
    return page;
  }
  Result<std::optional<int>> forget(Platform, std::string_view, std::string_view token) override {
    std::lock_guard<std::mutex> g(l_->mu);
    l_->forgotten.emplace_back(token);
    return std::optional<int>(static_cast<int>(detail::DbState::Invalid));
  }
  Result<uint64_t> prune(int64_t, uint32_t) override { return uint64_t{0}; }
  Result<size_t> follow(const RemoteFn& fn) override {
    std::vector<std::string> remote;
    {
      std::lock_guard<std::mutex> g(l_->mu);
      remote.swap(l_->remote_suppress);
    }
    for (const std::string& t : remote) {
      detail::RemoteChange c;
      c.what = detail::RemoteChange::What::Suppress;
      c.app = "app";
      c.token = t;
      c.ms = 5000;
      fn(c);
    }
    return remote.size();
  }

  detail::CampaignOps& campaigns() override { return campaigns_; }
  detail::ScheduleOps& schedules() override { return schedules_; }

 private:
  std::shared_ptr<Ledger> l_;
  std::vector<std::string> pending_;  // store thread only
  size_t pending_flush_ = 0;
  bool full_sync_ = false;
  NoCampaigns campaigns_;
  NoSchedules schedules_;
};

// The flush runs on the store thread's own schedule: polls (generous
// deadline) until one has completed.
void wait_for_a_flush(Store& s) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (s.stats().send_flushes == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// A send to each of n tokens: hex_token(0) .. hex_token(n - 1).
void record_sends(Store& s, int n) {
  for (int i = 0; i < n; ++i) record_spin(s, 0, outcome(Kind::Sent, hex_token(static_cast<uint64_t>(i))));
}

class StoreCore : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open(StoreOptions opt = {}) {
    auto r = Store::open(std::make_unique<FakeBackend>(ledger_), 1, clock_, quiet_logger(), opt);
    if (!r) {
      ADD_FAILURE() << r.error().code << ": " << r.error().message;
      return nullptr;
    }
    (*r)->start();
    return std::move(*r);
  }
  // A store that writes the summed send counters every flush_ms
  // (kOnlyAtStop: at stop and on flush_sends() only).
  std::unique_ptr<Store> open_flushing(int flush_ms, StoreOptions opt = {}) {
    opt.send_flush_ms = flush_ms;
    return open(opt);
  }
  static constexpr int kOnlyAtStop = 3'600'000;
  // Records one send of `token` on a store that flushes every flush_ms, and
  // waits for a flush to complete.
  std::unique_ptr<Store> flush_one_send(int flush_ms, Kind kind, const std::string& token) {
    auto s = open_flushing(flush_ms);
    if (!s) return nullptr;
    record_spin(*s, 0, outcome(kind, token));
    wait_for_a_flush(*s);
    return s;
  }

  std::shared_ptr<Ledger> ledger_ = std::make_shared<Ledger>();
  TestClock clock_;
};

TEST_F(StoreCore, OpenLoadsCountsAndTheSuppressionSetFromTheBackend) {
  ledger_->suppressed_at_open = {"gone-1", "gone-2"};
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->suppressed(Platform::Apns, "app", "gone-1"));
  EXPECT_TRUE(s->suppressed(Platform::Apns, "app", "gone-2"));
  EXPECT_FALSE(s->suppressed(Platform::Apns, "app", "live"));
  EXPECT_FALSE(s->suppressed(Platform::Fcm, "app", "gone-1"));
  // A registration later than the stored since (1000) lifts it.
  EXPECT_EQ(s->check(Platform::Apns, "app", "gone-1", 2000), Store::Check::Lifted);
  const StoreStats st = s->stats();
  EXPECT_EQ(st.invalid, 2u);
  EXPECT_EQ(st.suppressed_entries, 2u);
}

TEST_F(StoreCore, OpenWithoutABackendIsAnError) {
  auto r = Store::open(nullptr, 1, clock_, quiet_logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "store_bad_argument");
}

TEST_F(StoreCore, AfterCommitRunsOnceTheOutcomeIsCommittedDurably) {
  auto s = open();
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Invalid, "t1"));
  auto seen = std::make_shared<std::promise<std::pair<std::vector<std::string>, size_t>>>();
  auto f = seen->get_future();
  s->after_commit([this, seen] {
    std::lock_guard<std::mutex> g(ledger_->mu);
    seen->set_value({ledger_->committed, ledger_->durable});
  });
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  auto [committed, durable] = f.get();
  ASSERT_EQ(committed, std::vector<std::string>{"invalid:t1"});
  EXPECT_EQ(durable, 1u);  // a full-sync commit or a barrier covered it
  EXPECT_EQ(s->stats().committed_outcomes, 1u);
}

TEST_F(StoreCore, AFailedCommitIsRolledBackAndReplayedWithoutLossOrDuplicates) {
  ledger_->fail_commits = 1;
  auto s = open();
  ASSERT_TRUE(s);
  for (const char* t : {"a", "b", "c"}) record_spin(*s, 0, outcome(Kind::Unsubscribed, t));
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(ledger_->committed_copy(),
            (std::vector<std::string>{"unsubscribed:a", "unsubscribed:b", "unsubscribed:c"}));
  EXPECT_GE(ledger_->rollbacks, 1);
  const StoreStats st = s->stats();
  EXPECT_EQ(st.write_errors, 1u);
  EXPECT_EQ(st.committed_outcomes, 3u);
  EXPECT_EQ(st.backlog, 0u);
}

TEST_F(StoreCore, AnOutageIsReportedFromTheFirstFailedCommitUntilOneSucceeds) {
  ledger_->fail_commits = 1'000'000;
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->failing_since_ms(), 0) << "nothing failed yet";
  record_spin(*s, 0, outcome(Kind::Invalid, "a", "", "Unregistered"));  // a verdict: a data transaction
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (s->failing_since_ms() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_NE(s->failing_since_ms(), 0);
  EXPECT_EQ(s->stats().failing_since_ms, s->failing_since_ms());
  {
    std::lock_guard<std::mutex> g(ledger_->mu);
    ledger_->fail_commits = 0;  // the database is back
  }
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(s->failing_since_ms(), 0);
  EXPECT_EQ(ledger_->committed_copy(), (std::vector<std::string>{"invalid:a"})) << "nothing lost meanwhile";
}

TEST_F(StoreCore, AVerdictSuppressesAtOnceAndReadsSeeWhatWasRecordedBefore) {
  auto s = open();
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Invalid, "dead", "", "Unregistered"));
  // Visible to senders before any commit...
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", "dead"));
  // ...and a read waits until it is committed.
  const FeedbackPage page = get_feedback(*s, 0, 10);
  ASSERT_EQ(page.events.size(), 1u);
  EXPECT_EQ(page.events[0].token, "dead");
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", "dead").state, "invalid");
  const StoreStats st = s->stats();
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.events, 1u);
}

TEST_F(StoreCore, FeedbackReadersSeeOnlyDurableEvents) {
  auto s = open();
  ASSERT_TRUE(s);
  // Ordinary commits are not synced (nobody waits for them)...
  for (int i = 0; i < 3; ++i) record_spin(*s, 0, outcome(Kind::Invalid, "dead" + std::to_string(i)));
  for (int spins = 0; s->stats().committed_outcomes < 3 && spins < 5000; ++spins)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    std::lock_guard<std::mutex> g(ledger_->mu);
    ASSERT_EQ(ledger_->committed.size(), 3u);
    ASSERT_LT(ledger_->durable, 3u);
  }
  const uint64_t barriers = s->stats().barriers;
  // ...but a feedback read runs only once everything committed is durable:
  // an event a reader saw can never be lost or numbered again.
  EXPECT_EQ(get_feedback(*s, 0, 10).events.size(), 3u);
  EXPECT_EQ(s->stats().barriers, barriers + 1);
  // Nothing new committed: the next read needs no barrier.
  EXPECT_EQ(get_feedback(*s, 0, 10).events.size(), 3u);
  EXPECT_EQ(s->stats().barriers, barriers + 1);
  std::lock_guard<std::mutex> g(ledger_->mu);
  EXPECT_EQ(ledger_->undurable_at_feedback, (std::vector<size_t>{0, 0}));
}

TEST_F(StoreCore, ForgetLiftsSuppressionAndReachesTheBackend) {
  auto s = open();
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Invalid, "dead"));
  ASSERT_TRUE(s->suppressed(Platform::Apns, "shop-ios", "dead"));
  auto r = await<Result<bool>>([&](auto cb) { s->tokens().forget(Platform::Apns, "shop-ios", "dead", cb); });
  ASSERT_TRUE(r && r->ok());
  EXPECT_TRUE(r->value());
  EXPECT_FALSE(s->suppressed(Platform::Apns, "shop-ios", "dead"));
  std::lock_guard<std::mutex> g(ledger_->mu);
  // The verdict recorded before forget() was committed first.
  EXPECT_EQ(ledger_->committed, std::vector<std::string>{"invalid:dead"});
  EXPECT_EQ(ledger_->forgotten, std::vector<std::string>{"dead"});
}

TEST_F(StoreCore, AnotherInstancesSuppressionIsMirrored) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->suppressed(Platform::Apns, "app", "elsewhere"));
  {
    std::lock_guard<std::mutex> g(ledger_->mu);
    ledger_->remote_suppress.push_back("elsewhere");
  }
  // follow() runs every follow_interval_ms on the store thread.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!s->suppressed(Platform::Apns, "app", "elsewhere") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(s->suppressed(Platform::Apns, "app", "elsewhere"));
}

TEST_F(StoreCore, DestroyingTheStoreCommitsWhatWasRecorded) {
  auto s = open_flushing(kOnlyAtStop);
  ASSERT_TRUE(s);
  for (int i = 99; i >= 0; --i) record_spin(*s, 0, outcome(Kind::Delivered, hex_token(static_cast<uint64_t>(i))));
  record_spin(*s, 0, outcome(Kind::Invalid, "dead"));
  s.reset();
  const auto committed = ledger_->committed_copy();
  ASSERT_EQ(committed.size(), 101u);
  EXPECT_EQ(committed.front(), "invalid:dead");
  // One transaction of key-ordered rows.
  EXPECT_EQ(committed[1], "sends:" + hex_token(0) + "=1,1,0");
  EXPECT_EQ(committed.back(), "sends:" + hex_token(99) + "=1,1,0");
  EXPECT_EQ(ledger_->flushes, std::vector<size_t>{100});
  EXPECT_EQ(ledger_->durable, committed.size());  // the stop's writes are synced
}

// Sends reach the backend only as summed rows; a read merges what is pending.
TEST_F(StoreCore, SendsAreSummedInMemoryAndReadsMergeThem) {
  auto s = open_flushing(kOnlyAtStop);
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Delivered, "t3"));
  record_spin(*s, 0, outcome(Kind::Sent, "t1"));
  record_spin(*s, 0, outcome(Kind::Delivered, "t3", "spring"));
  record_spin(*s, 0, outcome(Kind::Failed, "t2"));
  ASSERT_TRUE(wait_commit(*s));
  // Only the campaign count went through a data transaction.
  EXPECT_EQ(ledger_->committed_copy(), std::vector<std::string>{"campaign:spring:t3"});
  const TokenState t3 = get_token(*s, Platform::Apns, "shop-ios", "t3");
  EXPECT_EQ(t3.state, "active");
  EXPECT_EQ(t3.sent, 2u);
  EXPECT_EQ(t3.delivered, 2u);
  EXPECT_EQ(t3.last_campaign, "spring");
  EXPECT_EQ(t3.last_sent_at_ms, clock_.now_ms());
  EXPECT_EQ(s->stats().pending_send_tokens, 3u);
  EXPECT_EQ(s->stats().committed_outcomes, 4u);
  EXPECT_EQ(s->stats().backlog, 0u);  // ring slots are free although nothing is written yet
  s.reset();
  EXPECT_EQ(ledger_->committed_copy(), (std::vector<std::string>{"campaign:spring:t3", "sends:t1=1,0,0",
                                                                 "sends:t2=1,0,1", "sends:t3=2,2,0"}));
}

TEST_F(StoreCore, SendCountersAreFlushedEverySendFlushMs) {
  auto s = flush_one_send(20, Kind::Delivered, "a");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stats().send_flushes, 1u);
  EXPECT_EQ(ledger_->committed_copy(), std::vector<std::string>{"sends:a=1,1,0"});
  EXPECT_EQ(s->stats().pending_send_tokens, 0u);
  // Flushed and pending sends of one token add up.
  record_spin(*s, 0, outcome(Kind::Delivered, "a"));
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", "a").sent, 2u);
}

TEST_F(StoreCore, AFullTallyIsFlushedEarly) {
  StoreOptions opt;
  opt.send_tally_tokens = 4;
  auto s = open_flushing(kOnlyAtStop, opt);
  ASSERT_TRUE(s);
  record_sends(*s, 10);
  wait_for_a_flush(*s);
  EXPECT_GE(s->stats().send_flushes, 1u);
  s.reset();
  size_t rows = 0;
  for (size_t n : ledger_->flushes) rows += n;
  EXPECT_EQ(rows, 10u);  // each token once, nothing lost or doubled across flushes
}

TEST_F(StoreCore, AFlushIsWrittenInChunksOfBatchMaxRows) {
  StoreOptions opt;
  opt.batch_max = 4;
  auto s = open_flushing(kOnlyAtStop, opt);
  ASSERT_TRUE(s);
  record_sends(*s, 10);
  ASSERT_TRUE(flush_sends(*s));
  EXPECT_EQ(ledger_->flushes, (std::vector<size_t>{4, 4, 2}));
  const auto committed = ledger_->committed_copy();
  ASSERT_EQ(committed.size(), 10u);
  EXPECT_TRUE(std::is_sorted(committed.begin(), committed.end()));  // key order across chunks
  EXPECT_EQ(s->stats().send_flushes, 1u);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(9)).sent, 1u);
}

TEST_F(StoreCore, ForgetDropsPendingSendsRecordedBeforeItButNotAfter) {
  auto s = open_flushing(kOnlyAtStop);
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Delivered, "x"));
  record_spin(*s, 0, outcome(Kind::Delivered, "y"));
  auto r = await<Result<bool>>([&](auto cb) { s->tokens().forget(Platform::Apns, "shop-ios", "x", cb); });
  ASSERT_TRUE(r && r->ok());
  EXPECT_TRUE(r->value());  // known from its pending sends
  record_spin(*s, 0, outcome(Kind::Failed, "x"));
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", "x").sent, 1u);
  s.reset();
  EXPECT_EQ(ledger_->committed_copy(), (std::vector<std::string>{"sends:x=1,0,1", "sends:y=1,1,0"}));
}

// A failed data transaction is replayed from the ring: the campaign counts
// in it are written again, the sends already summed are not counted twice.
TEST_F(StoreCore, AReplayedTransactionDoesNotCountItsSendsTwice) {
  ledger_->fail_commits = 1;
  auto s = open_flushing(kOnlyAtStop);
  ASSERT_TRUE(s);
  record_spin(*s, 0, outcome(Kind::Delivered, "a", "spring"));
  record_spin(*s, 0, outcome(Kind::Delivered, "b", "spring"));
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_GE(ledger_->rollbacks, 1);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", "a").sent, 1u);
  s.reset();
  EXPECT_EQ(ledger_->committed_copy(), (std::vector<std::string>{"campaign:spring:a", "campaign:spring:b",
                                                                 "sends:a=1,1,0", "sends:b=1,1,0"}));
}

TEST_F(StoreCore, AFailedFlushKeepsTheCountersAndIsRetried) {
  ledger_->fail_commits = 1;
  auto s = flush_one_send(1, Kind::Sent, "a");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stats().write_errors, 1u);
  EXPECT_EQ(ledger_->committed_copy(), std::vector<std::string>{"sends:a=1,0,0"});
}

}  // namespace
}  // namespace pushgw::store::testing
