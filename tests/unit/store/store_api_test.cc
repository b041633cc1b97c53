// Store API: record -> commit -> token/feedback; transitions; forget; the
// APNs registered_at rule; stats; argument and path errors.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "store/engines/open.h"
#include "store/store.h"
#include "store_file_test.h"
#include "store_test_util.h"

namespace pushgw::store {
namespace {

using namespace testing;

class StoreForget : public StoreFileTest {};
class StoreRing : public StoreFileTest {};

class StoreApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(dir_.file("pushgw.db"), clock_);
    ASSERT_TRUE(store_);
    store_->start();
  }
  TempDir dir_;
  TestClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreApiTest, RecordedCountsShowInTokenAfterCommit) {
  const std::string t = hex_token(1);
  record_spin(*store_, 0, outcome(Kind::Delivered, t, "c1"));
  record_spin(*store_, 0, outcome(Kind::Delivered, t, "c1"));
  record_spin(*store_, 0, outcome(Kind::Failed, t, "c1", "InternalServerError"));
  clock_.advance_ms(1000);
  record_spin(*store_, 0, outcome(Kind::Delivered, t, "c2"));
  ASSERT_TRUE(wait_commit(*store_));

  TokenState s = get_token(*store_, Platform::Apns, "shop-ios", t);
  EXPECT_EQ(s.state, "active");
  EXPECT_EQ(s.sent, 4u);
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.last_campaign, "c2");
  EXPECT_EQ(s.last_sent_at_ms, clock_.now_ms());
  EXPECT_EQ(s.reason, "");

  // The summed counters reach the file (and the token count) at the flush.
  StoreStats st = store_->stats();
  EXPECT_EQ(st.pending_send_tokens, 1u);
  ASSERT_TRUE(flush_sends(*store_));
  st = store_->stats();
  EXPECT_EQ(st.tokens, 1u);
  EXPECT_EQ(st.pending_send_tokens, 0u);
  EXPECT_EQ(get_token(*store_, Platform::Apns, "shop-ios", t).sent, 4u);
  EXPECT_EQ(st.committed_outcomes, 4u);
  EXPECT_EQ(st.backlog, 0u);
  EXPECT_EQ(st.events, 0u);
}

TEST_F(StoreApiTest, AVerdictNeverMovesLastSentAtBackwards) {
  const int64_t later = expect_verdict_keeps_last_send(*store_, clock_, hex_token(61));
  EXPECT_EQ(query_int(dir_.file("pushgw.db"), "SELECT last_sent_at_ms FROM tokens"), later);
}

TEST_F(StoreApiTest, TokenReadSeesEarlierRecordsWithoutAfterCommit) {
  const std::string t = hex_token(2);
  record_spin(*store_, 0, outcome(Kind::Delivered, t));
  TokenState s = get_token(*store_, Platform::Apns, "shop-ios", t);  // read-your-writes
  EXPECT_EQ(s.state, "active");
  EXPECT_EQ(s.delivered, 1u);
}

TEST_F(StoreApiTest, UnknownTokenReportsUnknown) {
  TokenState s = get_token(*store_, Platform::Fcm, "shop-android", "nope");
  EXPECT_EQ(s.state, "unknown");
  EXPECT_EQ(s.sent, 0u);
}

TEST_F(StoreApiTest, OnlyTransitionsCreateEvents) {
  const std::string t = hex_token(3);
  record_spin(*store_, 0, outcome(Kind::Unsubscribed, t, "spring", "Unregistered", 1'690'000'000'000));
  record_spin(*store_, 0, outcome(Kind::Unsubscribed, t, "summer", "Unregistered", 1'690'000'500'000));
  record_spin(*store_, 0, outcome(Kind::Unsubscribed, t, "autumn", "Unregistered"));
  ASSERT_TRUE(wait_commit(*store_));

  FeedbackPage p = get_feedback(*store_, 0, 100);
  ASSERT_EQ(p.events.size(), 1u);
  const Event& e = p.events[0];
  EXPECT_EQ(e.seq, 1u);
  EXPECT_EQ(p.next, 2u);
  EXPECT_EQ(e.kind, "unsubscribed");
  EXPECT_EQ(e.reason, "Unregistered");
  EXPECT_EQ(e.campaign, "spring");
  EXPECT_EQ(e.platform, Platform::Apns);
  EXPECT_EQ(e.app, "shop-ios");
  EXPECT_EQ(e.token, t);
  EXPECT_EQ(e.at_ms, clock_.now_ms());

  TokenState s = get_token(*store_, Platform::Apns, "shop-ios", t);
  EXPECT_EQ(s.state, "unsubscribed");
  EXPECT_EQ(s.since_ms, 1'690'000'000'000);  // APNs timestamp of the first verdict
  EXPECT_EQ(s.sent, 3u);
  EXPECT_EQ(s.last_campaign, "autumn");

  // unsubscribed -> invalid is a transition (one more event); since = verdict time.
  clock_.advance_ms(5000);
  record_spin(*store_, 0, outcome(Kind::Invalid, t, "winter", "BadDeviceToken"));
  record_spin(*store_, 0, outcome(Kind::Invalid, t, "winter", "BadDeviceToken"));
  ASSERT_TRUE(wait_commit(*store_));
  p = get_feedback(*store_, 2, 100);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].seq, 2u);
  EXPECT_EQ(p.events[0].kind, "invalid");
  EXPECT_EQ(p.events[0].campaign, "winter");
  s = get_token(*store_, Platform::Apns, "shop-ios", t);
  EXPECT_EQ(s.state, "invalid");
  EXPECT_EQ(s.reason, "BadDeviceToken");
  EXPECT_EQ(s.since_ms, clock_.now_ms());

  StoreStats st = store_->stats();
  EXPECT_EQ(st.events, 2u);
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.unsubscribed, 0u);
}

TEST_F(StoreApiTest, FeedbackPagesBySinceAndNext) {
  for (uint64_t i = 0; i < 25; ++i)
    record_spin(*store_, 0, outcome(Kind::Unsubscribed, hex_token(100 + i), "c", "Unregistered"));
  ASSERT_TRUE(wait_commit(*store_));

  uint64_t since = 0;
  std::vector<uint64_t> seqs;
  for (int page = 0; page < 3; ++page) {
    FeedbackPage p = get_feedback(*store_, since, 10);
    EXPECT_EQ(p.events.size(), page < 2 ? 10u : 5u);
    for (const Event& e : p.events) seqs.push_back(e.seq);
    ASSERT_FALSE(p.events.empty());
    EXPECT_EQ(p.next, p.events.back().seq + 1);
    since = p.next;
  }
  ASSERT_EQ(seqs.size(), 25u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);  // strictly increasing, no gaps

  FeedbackPage end = get_feedback(*store_, since, 10);
  EXPECT_TRUE(end.events.empty());
  EXPECT_EQ(end.next, since);

  // since is inclusive.
  FeedbackPage mid = get_feedback(*store_, 7, 2);
  ASSERT_EQ(mid.events.size(), 2u);
  EXPECT_EQ(mid.events[0].seq, 7u);
  EXPECT_EQ(mid.next, 9u);
}

TEST_F(StoreApiTest, VerdictSuppressesImmediatelyAndForgetLiftsItKeepingEvents) {
  const std::string t = hex_token(4);
  EXPECT_FALSE(store_->suppressed(Platform::Apns, "shop-ios", t));
  record_spin(*store_, 0, outcome(Kind::Invalid, t, "c", "BadDeviceToken"));
  EXPECT_TRUE(store_->suppressed(Platform::Apns, "shop-ios", t));  // before any commit
  EXPECT_FALSE(store_->suppressed(Platform::Apns, "other-app", t));
  EXPECT_FALSE(store_->suppressed(Platform::Fcm, "shop-ios", t));

  auto forgot = await<Result<bool>>([&](auto cb) { store_->tokens().forget(Platform::Apns, "shop-ios", t, cb); });
  EXPECT_FALSE(store_->suppressed(Platform::Apns, "shop-ios", t));
  ASSERT_TRUE(forgot && forgot->ok());
  EXPECT_TRUE(forgot->value());  // the Invalid recorded before forget() was applied first
  EXPECT_EQ(get_token(*store_, Platform::Apns, "shop-ios", t).state, "unknown");
  EXPECT_EQ(get_feedback(*store_, 0, 10).events.size(), 1u);

  auto again = await<Result<bool>>([&](auto cb) { store_->tokens().forget(Platform::Apns, "shop-ios", t, cb); });
  ASSERT_TRUE(again && again->ok());
  EXPECT_FALSE(again->value());

  // A later verdict is a new transition: a new event.
  record_spin(*store_, 0, outcome(Kind::Invalid, t, "c2", "BadDeviceToken"));
  EXPECT_TRUE(store_->suppressed(Platform::Apns, "shop-ios", t));
  ASSERT_TRUE(wait_commit(*store_));
  FeedbackPage p = get_feedback(*store_, 0, 10);
  ASSERT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.events[1].campaign, "c2");
  StoreStats st = store_->stats();
  EXPECT_EQ(st.tokens, 1u);
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.suppressed_entries, 1u);
}

TEST_F(StoreApiTest, RegisteredAtLaterThanSinceLiftsSuppression) {
  const std::string t = hex_token(5);
  const int64_t since = 1'690'000'000'000;
  record_spin(*store_, 0, outcome(Kind::Unsubscribed, t, "", "Unregistered", since));
  EXPECT_TRUE(store_->suppressed(Platform::Apns, "shop-ios", t));
  EXPECT_TRUE(store_->suppressed(Platform::Apns, "shop-ios", t, since - 1000));
  EXPECT_TRUE(store_->suppressed(Platform::Apns, "shop-ios", t, since));
  EXPECT_FALSE(store_->suppressed(Platform::Apns, "shop-ios", t, since + 1));
  EXPECT_EQ(store_->check(Platform::Apns, "shop-ios", t, since + 1), Store::Check::Lifted);
  EXPECT_EQ(store_->check(Platform::Apns, "shop-ios", t, since), Store::Check::Suppressed);
  EXPECT_EQ(store_->check(Platform::Apns, "shop-ios", hex_token(6), since + 1), Store::Check::Clear);

  // A stale reactivation (registered before the verdict) changes nothing.
  record_spin(*store_, 0, outcome(Kind::Reactivated, t, "", "", since - 1));
  EXPECT_TRUE(store_->suppressed(Platform::Apns, "shop-ios", t));
  ASSERT_TRUE(wait_commit(*store_));
  EXPECT_EQ(get_token(*store_, Platform::Apns, "shop-ios", t).state, "unsubscribed");

  // The caller sent because registered_at > since and records Reactivated.
  record_spin(*store_, 0, outcome(Kind::Reactivated, t, "", "", since + 5000));
  EXPECT_FALSE(store_->suppressed(Platform::Apns, "shop-ios", t));
  record_spin(*store_, 0, outcome(Kind::Delivered, t, "back"));
  ASSERT_TRUE(wait_commit(*store_));
  TokenState s = get_token(*store_, Platform::Apns, "shop-ios", t);
  EXPECT_EQ(s.state, "active");
  EXPECT_EQ(s.since_ms, since + 5000);
  EXPECT_EQ(s.sent, 2u);  // the verdict and the delivery; Reactivated is not a send
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(store_->stats().unsubscribed, 0u);
  EXPECT_EQ(store_->stats().events, 1u);
}

TEST_F(StoreApiTest, LongWebPushEndpointsGoThroughTheArena) {
  std::vector<std::string> endpoints;
  for (int i = 0; i < 3000; ++i) {  // ~3 MiB: wraps the 1 MiB arena several times
    std::string e = "https://push.example.net/wp/" + std::to_string(i) + "/";
    e.append(1000 - e.size(), static_cast<char>('a' + i % 26));
    endpoints.push_back(e);
  }
  for (size_t i = 0; i < endpoints.size(); ++i) {
    Kind k = i % 3 == 0 ? Kind::Unsubscribed : Kind::Delivered;
    record_spin(*store_, 0, outcome(k, endpoints[i], "wp-campaign", "410", 0, Platform::WebPush, "shop-web"));
  }
  ASSERT_TRUE(wait_commit(*store_));
  for (size_t i : {size_t{0}, size_t{1}, size_t{1500}, size_t{2999}}) {
    TokenState s = get_token(*store_, Platform::WebPush, "shop-web", endpoints[i]);
    EXPECT_EQ(s.state, i % 3 == 0 ? "unsubscribed" : "active") << i;
    EXPECT_EQ(s.last_campaign, "wp-campaign");
    EXPECT_EQ(store_->suppressed(Platform::WebPush, "shop-web", endpoints[i]), i % 3 == 0);
  }
  ASSERT_TRUE(flush_sends(*store_));
  EXPECT_EQ(store_->stats().tokens, 3000u);
  EXPECT_EQ(store_->stats().events, 1000u);
}

TEST_F(StoreApiTest, OversizedOutcomeIsDroppedNotRetried) {
  std::string huge(9000, 'x');
  EXPECT_TRUE(store_->record(0, outcome(Kind::Invalid, huge)));
  EXPECT_TRUE(store_->record(7, outcome(Kind::Delivered, "t")));  // bad producer index
  ASSERT_TRUE(wait_commit(*store_));
  EXPECT_EQ(store_->stats().dropped, 2u);
  EXPECT_EQ(store_->stats().tokens, 0u);
}

TEST_F(StoreOpen, MissingDirectoryIsAClearError) {
  store::StoreConfig cfg;
  cfg.path = "/nonexistent-pushgw-dir/sub/pushgw.db";
  auto r = store::open_store(cfg, 1, clock, quiet_logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "store_dir_missing");
  EXPECT_NE(r.error().message.find("/nonexistent-pushgw-dir/sub"), std::string::npos);
}

TEST_F(StoreOpen, RejectsZeroProducers) {
  store::StoreConfig cfg;
  cfg.path = dir.file("x.db");
  auto r = store::open_store(cfg, 0, clock, quiet_logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "store_bad_argument");
}

// forget() applies between the outcomes recorded before and after it, even
// when the store thread finds all of them queued at once.
TEST_F(StoreForget, RunsExactlyBetweenEarlierAndLaterOutcomes) {
  auto store = open_store(dir.file("pushgw.db"), clock);
  ASSERT_TRUE(store);
  const std::string t = hex_token(42);
  ASSERT_TRUE(store->record(0, outcome(Kind::Invalid, t, "first", "BadDeviceToken")));
  auto forgot = std::make_shared<std::promise<bool>>();
  store->tokens().forget(Platform::Apns, "shop-ios", t, [forgot](Result<bool> r) { forgot->set_value(r.ok() && r.value()); });
  EXPECT_FALSE(store->suppressed(Platform::Apns, "shop-ios", t));
  ASSERT_TRUE(store->record(0, outcome(Kind::Invalid, t, "second", "BadDeviceToken")));
  EXPECT_TRUE(store->suppressed(Platform::Apns, "shop-ios", t));
  store->start();
  auto f = forgot->get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(f.get());
  ASSERT_TRUE(wait_commit(*store));
  TokenState s = get_token(*store, Platform::Apns, "shop-ios", t);
  EXPECT_EQ(s.state, "invalid");  // the later verdict survived the forget
  EXPECT_EQ(s.sent, 1u);
  EXPECT_EQ(s.last_campaign, "second");
  FeedbackPage p = get_feedback(*store, 0, 10);
  ASSERT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.events[1].campaign, "second");
  EXPECT_EQ(store->stats().invalid, 1u);
}

TEST_F(StoreRing, FullRingReturnsFalseUntilTheWriterDrainsIt) {
  StoreOptions opt;
  opt.ring_slots = 4;
  auto store = open_store(dir.file("pushgw.db"), clock, 1, opt);
  ASSERT_TRUE(store);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(store->record(0, outcome(Kind::Delivered, hex_token(i))));
  EXPECT_FALSE(store->record(0, outcome(Kind::Delivered, hex_token(9))));
  EXPECT_EQ(store->stats().backlog, 4u);
  store->start();
  ASSERT_TRUE(wait_commit(*store));
  EXPECT_EQ(store->stats().backlog, 0u);
  EXPECT_TRUE(store->record(0, outcome(Kind::Delivered, hex_token(9))));
  ASSERT_TRUE(flush_sends(*store));
  EXPECT_EQ(store->stats().tokens, 5u);
}

}  // namespace
}  // namespace pushgw::store
