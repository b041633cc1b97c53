// The Store on the PostgreSQL backend, against a real server (pg_rig.h):
// the same outcomes as on SQLite, schema creation and refusal, reconnecting,
// and two instances sharing one database (suppression, forget and marketing
// sends followed within a second; one change-feed).
#include <algorithm>
#include <chrono>
#include <thread>

#include "store/key_hash.h"
#include "store/pg/pg.h"
#include "store/pg/schema.h"
#include "store_test_util.h"
#include "pg_rig.h"

namespace pushgw::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class PgStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { rig_ = new PgRig(); }
  static void TearDownTestSuite() {
    delete rig_;
    rig_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(rig_->ok()) << "could not start PostgreSQL through " PUSHGW_PG_RIG;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    db_ = std::string("t_") + info->name();
    for (char& c : db_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    dsn_ = rig_->create_db(db_);
  }

  Result<std::unique_ptr<Store>> try_open(int producers = 1, StoreOptions opt = {}) {
    store::StoreConfig cfg;
    cfg.backend = store::StoreBackend::Postgres;
    cfg.dsn = dsn_;
    return store::open_store(cfg, producers, clock_, quiet_logger(), opt);
  }
  std::unique_ptr<Store> open(int producers = 1, StoreOptions opt = {}) {
    auto r = try_open(producers, opt);
    if (!r) {
      ADD_FAILURE() << r.error().code << ": " << r.error().message;
      return nullptr;
    }
    return std::move(r.value());
  }
  int64_t count(const std::string& sql) const { return rig_->query_int(sql, db_); }

  static PgRig* rig_;
  TestClock clock_;
  std::string db_, dsn_;
};

PgRig* PgStore::rig_ = nullptr;

// Polls pred every 10 ms; true if it held within `within`.
template <class Pred>
bool within(milliseconds within, Pred pred) {
  const auto end = steady_clock::now() + within;
  while (steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

TEST_F(PgStore, OutcomesTokenStateFeedbackAndCounts) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), 0);
  s->start();
  const std::string a = hex_token(1), b = hex_token(2), c = hex_token(3);
  record_spin(*s, 0, outcome(Kind::Delivered, a, "spring"));
  record_spin(*s, 0, outcome(Kind::Delivered, a, "spring"));
  record_spin(*s, 0, outcome(Kind::Failed, a, "spring", "InternalServerError"));
  record_spin(*s, 0, outcome(Kind::Unsubscribed, b, "spring", "Unregistered", 1'600'000'000'000));
  record_spin(*s, 0, outcome(Kind::Invalid, c, "", "BadDeviceToken"));
  record_spin(*s, 0, outcome(Kind::Invalid, c, "", "BadDeviceToken"));  // no second transition
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", b));
  ASSERT_TRUE(wait_commit(*s));

  TokenState ta = get_token(*s, Platform::Apns, "shop-ios", a);
  EXPECT_EQ(ta.state, "active");
  EXPECT_EQ(ta.sent, 3u);
  EXPECT_EQ(ta.delivered, 2u);
  EXPECT_EQ(ta.failed, 1u);
  EXPECT_EQ(ta.last_campaign, "spring");
  TokenState tb = get_token(*s, Platform::Apns, "shop-ios", b);
  EXPECT_EQ(tb.state, "unsubscribed");
  EXPECT_EQ(tb.reason, "Unregistered");
  EXPECT_EQ(tb.since_ms, 1'600'000'000'000);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", c).sent, 2u);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(9)).state, "unknown");

  FeedbackPage page = get_feedback(*s, 0, 100);
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[0].token, b);
  EXPECT_EQ(page.events[0].kind, "unsubscribed");
  EXPECT_EQ(page.events[0].campaign, "spring");
  EXPECT_EQ(page.events[1].token, c);
  EXPECT_EQ(page.events[1].kind, "invalid");
  EXPECT_LT(page.events[0].seq, page.events[1].seq);
  EXPECT_EQ(page.next, page.events[1].seq + 1);
  FeedbackPage second = get_feedback(*s, page.events[1].seq, 1);
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(second.events[0].token, c);

  // a's row comes with the flush of the summed send counters.
  EXPECT_EQ(s->stats().tokens, 2u);
  ASSERT_TRUE(flush_sends(*s));
  EXPECT_EQ(count("SELECT sent FROM tokens WHERE sent = 3 AND delivered = 2 AND failed = 1"), 3);
  StoreStats st = s->stats();
  EXPECT_EQ(st.tokens, 3u);
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.unsubscribed, 1u);
  EXPECT_EQ(st.events, 2u);
  EXPECT_EQ(st.committed_outcomes, 6u);

  auto report = await<Result<CampaignReport>>([&](auto cb) { s->campaigns().campaign("spring", cb); });
  ASSERT_TRUE(report && report->ok());
  EXPECT_TRUE((*report)->found);
  EXPECT_EQ((*report)->sent, 4u);
  EXPECT_EQ((*report)->delivered, 2u);
  EXPECT_EQ((*report)->failed, 1u);
  EXPECT_EQ((*report)->unsubscribed, 1u);
  auto eng = await<Result<size_t>>([&](auto cb) {
    s->campaigns().engagement({EngagementEvent{"spring", Platform::Apns, "shop-ios", a, Engagement::Open, 1},
                   EngagementEvent{"spring", Platform::Apns, "shop-ios", a, Engagement::Click, 2}},
                  cb);
  });
  ASSERT_TRUE(eng && eng->ok());
  EXPECT_EQ(eng->value(), 2u);
  report = await<Result<CampaignReport>>([&](auto cb) { s->campaigns().campaign("spring", cb); });
  EXPECT_EQ((*report)->opened, 1u);
  EXPECT_EQ((*report)->clicked, 1u);

  // Reopened: the suppression set and the counts come back from the tables.
  s.reset();
  s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), detail::kPgSchemaVersion);
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", b));
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", c));
  EXPECT_FALSE(s->suppressed(Platform::Apns, "shop-ios", a));
  EXPECT_EQ(s->stats().tokens, 3u);
  EXPECT_EQ(s->stats().events, 2u);
}

// pushgw_apply_verdicts (schema v3) keeps the later send's time and campaign.
TEST_F(PgStore, AVerdictNeverMovesLastSentAtBackwards) {
  auto s = open();
  ASSERT_TRUE(s);
  s->start();
  const int64_t later = expect_verdict_keeps_last_send(*s, clock_, hex_token(61));
  EXPECT_EQ(count("SELECT last_sent_at_ms FROM tokens"), later);
  EXPECT_EQ(count("SELECT count(*) FROM tokens WHERE last_campaign = 'later'"), 1);
}

TEST_F(PgStore, ReactivationAndForget) {
  auto s = open();
  ASSERT_TRUE(s);
  s->start();
  const std::string t = hex_token(7);
  record_spin(*s, 0, outcome(Kind::Unsubscribed, t, "", "Unregistered", 1000));
  Outcome react = outcome(Kind::Reactivated, t, "", "", 500);  // registered before the 410: stays
  record_spin(*s, 0, react);
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", t).state, "unsubscribed");
  react.since_ms = 2000;  // registered after it: active again
  record_spin(*s, 0, react);
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_FALSE(s->suppressed(Platform::Apns, "shop-ios", t));
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", t).state, "active");
  EXPECT_EQ(s->stats().unsubscribed, 0u);

  auto gone = await<Result<bool>>([&](auto cb) { s->tokens().forget(Platform::Apns, "shop-ios", t, cb); });
  ASSERT_TRUE(gone && gone->ok());
  EXPECT_TRUE(gone->value());
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", t).state, "unknown");
  gone = await<Result<bool>>([&](auto cb) { s->tokens().forget(Platform::Apns, "shop-ios", t, cb); });
  EXPECT_FALSE(gone->value());
  EXPECT_EQ(get_feedback(*s, 0, 10).events.size(), 1u);  // events are kept
}

TEST_F(PgStore, SecondInstanceFollowsSuppressionWithinASecond) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  a->start();
  b->start();
  const std::string t = hex_token(11), u = hex_token(12);
  record_spin(*a, 0, outcome(Kind::Unsubscribed, t, "c1", "Unregistered"));
  record_spin(*a, 0, outcome(Kind::Invalid, u, "c1", "BadDeviceToken"));
  ASSERT_TRUE(wait_commit(*a));
  EXPECT_TRUE(within(milliseconds(1000), [&] {
    return b->suppressed(Platform::Apns, "shop-ios", t) && b->suppressed(Platform::Apns, "shop-ios", u);
  }));
  // One change-feed, whichever instance reads it.
  FeedbackPage fa = get_feedback(*a, 0, 100), fb = get_feedback(*b, 0, 100);
  ASSERT_EQ(fa.events.size(), 2u);
  ASSERT_EQ(fb.events.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(fa.events[i].seq, fb.events[i].seq);
    EXPECT_EQ(fa.events[i].token, fb.events[i].token);
    EXPECT_EQ(fa.events[i].kind, fb.events[i].kind);
  }
  EXPECT_EQ(fa.next, fb.next);

  // A forget through A lifts the suppression on B too.
  auto gone = await<Result<bool>>([&](auto cb) { a->tokens().forget(Platform::Apns, "shop-ios", t, cb); });
  ASSERT_TRUE(gone && gone->ok() && gone->value());
  EXPECT_TRUE(within(milliseconds(1000), [&] { return !b->suppressed(Platform::Apns, "shop-ios", t); }));
  EXPECT_TRUE(b->suppressed(Platform::Apns, "shop-ios", u));
  // And B's own verdicts reach A.
  record_spin(*b, 0, outcome(Kind::Unsubscribed, t, "", "Unregistered"));
  ASSERT_TRUE(wait_commit(*b));
  EXPECT_TRUE(within(milliseconds(1000), [&] { return a->suppressed(Platform::Apns, "shop-ios", t); }));
}

TEST_F(PgStore, MarketingSendsReachTheOtherInstanceOnly) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  std::atomic<int> seen_a{0}, seen_b{0};
  std::atomic<uint64_t> key_b{0};
  std::atomic<int64_t> at_b{0};
  a->campaigns().on_remote_marketing_send([&](uint64_t, int64_t) { seen_a.fetch_add(1); });
  b->campaigns().on_remote_marketing_send([&](uint64_t k, int64_t at) {
    key_b = k;
    at_b = at;
    seen_b.fetch_add(1);
  });
  a->start();
  b->start();
  const std::string t = hex_token(21);
  Outcome m = outcome(Kind::MarketingSent, t);
  m.at_ms = 1'700'000'123'000;
  record_spin(*a, 0, m);
  ASSERT_TRUE(wait_commit(*a));
  EXPECT_TRUE(within(milliseconds(1000), [&] { return seen_b.load() == 1; }));
  EXPECT_EQ(key_b.load(), b->key(Platform::Apns, "shop-ios", t));
  // One database, one hash secret (pushgw_meta): every instance keys alike.
  EXPECT_EQ(a->key(Platform::Apns, "shop-ios", t), b->key(Platform::Apns, "shop-ios", t));
  EXPECT_EQ(at_b.load(), 1'700'000'123'000);
  std::this_thread::sleep_for(milliseconds(300));  // several follow intervals: A never replays its own
  EXPECT_EQ(seen_a.load(), 0);
  EXPECT_EQ(seen_b.load(), 1);
}

TEST_F(PgStore, LoadMarketingSendsDropsOldOnesAndFollowsOnlyLaterOnes) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    s->start();
    const std::string t = hex_token(31);
    Outcome m = outcome(Kind::MarketingSent, t);
    m.at_ms = clock_.now_ms() - 2 * 86'400'000;  // too old
    record_spin(*s, 0, m);
    m.at_ms = clock_.now_ms() - 1000;
    record_spin(*s, 0, m);
    ASSERT_TRUE(wait_commit(*s));
  }
  auto s = open();
  auto other = open();
  ASSERT_TRUE(s && other);
  int loaded = 0;
  ASSERT_TRUE(s->campaigns().load_marketing_sends(clock_.now_ms() - 86'400'000, [&](uint64_t, int64_t) { ++loaded; }));
  EXPECT_EQ(loaded, 1);
  EXPECT_EQ(count("SELECT count(*) FROM marketing_sends"), 1);
  std::atomic<int> followed{0};
  s->campaigns().on_remote_marketing_send([&](uint64_t, int64_t) { followed.fetch_add(1); });
  s->start();
  other->start();
  record_spin(*other, 0, outcome(Kind::MarketingSent, hex_token(32)));
  ASSERT_TRUE(wait_commit(*other));
  EXPECT_TRUE(within(milliseconds(1000), [&] { return followed.load() == 1; }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(followed.load(), 1);  // the loaded one is not replayed
}

TEST_F(PgStore, BatchesMergeRepeatedTokensAcrossProducers) {
  StoreOptions opt;
  opt.commit_interval_ms = 200;
  auto s = open(2, opt);
  ASSERT_TRUE(s);
  s->start();
  constexpr int kTokens = 500, kRounds = 8;
  std::thread other([&] {
    for (int r = 0; r < kRounds; ++r)
      for (int i = 0; i < kTokens; ++i) record_spin(*s, 1, outcome(Kind::Delivered, hex_token(1000 + i), "bulk"));
  });
  for (int r = 0; r < kRounds; ++r)
    for (int i = 0; i < kTokens; ++i) record_spin(*s, 0, outcome(Kind::Sent, hex_token(1000 + i), "bulk"));
  other.join();
  ASSERT_TRUE(flush_sends(*s));  // the summed per-token counters, written now
  EXPECT_EQ(s->stats().tokens, static_cast<uint64_t>(kTokens));
  EXPECT_EQ(s->stats().committed_outcomes, static_cast<uint64_t>(2 * kTokens * kRounds));
  EXPECT_EQ(count("SELECT sum(sent) FROM tokens"), 2 * kTokens * kRounds);
  EXPECT_EQ(count("SELECT sum(delivered) FROM tokens"), kTokens * kRounds);
  EXPECT_EQ(count("SELECT min(sent) FROM tokens"), 2 * kRounds);
  EXPECT_EQ(count("SELECT sent FROM campaigns WHERE name = 'bulk'"), 2 * kTokens * kRounds);
}

TEST_F(PgStore, ReconnectsAfterTheConnectionIsKilled) {
  auto s = open();
  ASSERT_TRUE(s);
  s->start();
  record_spin(*s, 0, outcome(Kind::Delivered, hex_token(41)));
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(rig_->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db_ +
                       "' AND pid <> pg_backend_pid()"),
            "");
  record_spin(*s, 0, outcome(Kind::Invalid, hex_token(42), "", "BadDeviceToken"));
  ASSERT_TRUE(wait_commit(*s));  // after a failed commit and a reconnect
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(42)).state, "invalid");
  EXPECT_EQ(get_feedback(*s, 0, 10).events.size(), 1u);
}

TEST_F(PgStore, TextPostgresCannotHoldIsStoredAndFoundTheSameWay) {
  auto s = open();
  ASSERT_TRUE(s);
  s->start();
  const std::string odd = std::string("tok\xff\xfe-") + std::string(1, '\0') + "-end\"\\{},";
  record_spin(*s, 0, outcome(Kind::Invalid, odd, std::string("camp\xc3", 5), "Bad\xe2\x82"));
  ASSERT_TRUE(wait_commit(*s));
  TokenState t = get_token(*s, Platform::Apns, "shop-ios", odd);
  EXPECT_EQ(t.state, "invalid");
  EXPECT_EQ(t.reason, "Bad??");
  FeedbackPage p = get_feedback(*s, 0, 10);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].token, "tok?" "?-?-end\"\\{},");

  // Two byte strings that are stored alike, in one batch, and a campaign
  // name likewise: one row each, and the batch commits.
  record_spin(*s, 0, outcome(Kind::Delivered, "same\xff", "c\xfe"));
  record_spin(*s, 0, outcome(Kind::Delivered, "same\xfe", "c\xff"));
  // Pending sends are found by the bytes they were recorded with; stored, a
  // third spelling of the same text finds them too.
  ASSERT_TRUE(flush_sends(*s));
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", "same\xfd").delivered, 2u);
  EXPECT_EQ(s->stats().write_errors, 0u);

  // Longer than a B-tree entry may be (~2.7 kB), incompressible.
  std::string endpoint = "https://push.example.net/wp/";
  for (uint64_t i = 0; endpoint.size() < 6000; ++i) endpoint += hex_token(i * 0x9E3779B97F4A7C15ULL);
  record_spin(*s, 0, outcome(Kind::Unsubscribed, endpoint, "", "410", 0, Platform::WebPush, "shop-web"));
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(get_token(*s, Platform::WebPush, "shop-web", endpoint).state, "unsubscribed");
  EXPECT_EQ(get_token(*s, Platform::WebPush, "shop-web", endpoint + "x").state, "unknown");
  EXPECT_EQ(s->stats().write_errors, 0u);
  EXPECT_EQ(get_feedback(*s, 0, 10).events.back().token, endpoint);  // the feed has the endpoint itself
  s.reset();
  s = open();  // and the suppression set is loaded from it
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->suppressed(Platform::WebPush, "shop-web", endpoint));
}

ScheduledSend scheduled_row(int64_t id, int64_t due_ms, std::string key = "") {
  ScheduledSend s;
  s.id = id;
  s.due_ms = due_ms;
  s.schedule_key = std::move(key);
  s.campaign = "spring";
  s.platform = Platform::Fcm;
  s.app = "shop-android";
  s.recipients = 2;
  s.quiet_hours = id % 2 == 0;
  s.created_ms = 1;
  s.line = "{\"op\":\"send\"} " + std::to_string(id);
  return s;
}

ClaimedSends claim(Store& s, int64_t now_ms, uint32_t limit) {
  auto r = await<Result<ClaimedSends>>([&](auto cb) { s.schedules().claim_due(now_ms, 30'000, limit, cb); });
  EXPECT_TRUE(r && r->ok()) << (r && !r->ok() ? r->error().message : "");
  return r && r->ok() ? r->value() : ClaimedSends{};
}

TEST_F(PgStore, ScheduledSendsAreClaimedByExactlyOneInstance) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  a->start();
  b->start();
  constexpr int kRows = 300;
  constexpr int64_t kDue = 1'780'000'000'000;
  std::vector<ScheduledSend> rows;
  for (int i = 1; i <= kRows; ++i) rows.push_back(scheduled_row(i, kDue + i));
  auto added = await<Result<size_t>>([&](auto cb) { a->schedules().schedule(rows, cb); });
  ASSERT_TRUE(added && added->ok());
  EXPECT_EQ(added->value(), static_cast<size_t>(kRows));
  added = await<Result<size_t>>([&](auto cb) { b->schedules().schedule({scheduled_row(1, kDue)}, cb); });
  EXPECT_EQ(added->value(), 0u);  // an existing id is a no-op

  // Both instances claim small batches at once until nothing is due.
  std::vector<int64_t> got_a, got_b;
  auto drain = [&](Store& s, std::vector<int64_t>& got) {
    for (;;) {
      ClaimedSends c = claim(s, kDue + kRows, 7);
      if (c.rows.empty()) return;
      for (const auto& r : c.rows) got.push_back(r.id);
      EXPECT_TRUE(std::is_sorted(c.rows.begin(), c.rows.end(),
                                 [](const auto& x, const auto& y) { return x.due_ms < y.due_ms; }));
    }
  };
  std::thread tb([&] { drain(*b, got_b); });
  drain(*a, got_a);
  tb.join();
  std::vector<int64_t> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kRows)) << "a " << got_a.size() << ", b " << got_b.size();
  for (int i = 0; i < kRows; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i + 1);

  // Leased: nothing to claim until the lease ends; then it is claimable again.
  ClaimedSends none = claim(*b, kDue + kRows, 100);
  EXPECT_TRUE(none.rows.empty());
  EXPECT_EQ(none.next_due_ms, kDue + kRows + 30'000);
  auto done = await<Result<void>>([&](auto cb) { a->schedules().finish_claimed(got_a, cb); });
  ASSERT_TRUE(done && done->ok());
  done = await<Result<void>>([&](auto cb) { b->schedules().release_claimed(got_b, cb); });
  ASSERT_TRUE(done && done->ok());
  EXPECT_EQ(count("SELECT count(*) FROM scheduled"), static_cast<int64_t>(got_b.size()));
  EXPECT_EQ(claim(*a, kDue + kRows, 1000).rows.size(), got_b.size());
}

TEST_F(PgStore, ScheduledSendsCancelAndListByKey) {
  auto s = open();
  ASSERT_TRUE(s);
  s->start();
  constexpr int64_t kDue = 1'780'000'000'000;
  auto added = await<Result<size_t>>([&](auto cb) {
    s->schedules().schedule({scheduled_row(10, kDue + 3, "k1"), scheduled_row(11, kDue + 1, "k1"), scheduled_row(12, kDue, "k2")},
                cb);
  });
  ASSERT_TRUE(added && added->ok());
  auto listed = await<Result<std::vector<ScheduledSend>>>([&](auto cb) { s->schedules().list_scheduled("k1", kDue, 10, cb); });
  ASSERT_TRUE(listed && listed->ok());
  ASSERT_EQ((*listed)->size(), 2u);
  EXPECT_EQ((**listed)[0].id, 11);  // earliest due first
  EXPECT_EQ((**listed)[1].line, "{\"op\":\"send\"} 10");
  EXPECT_TRUE((**listed)[1].quiet_hours);
  EXPECT_EQ((**listed)[1].platform, Platform::Fcm);
  auto cancelled = await<Result<uint64_t>>([&](auto cb) { s->schedules().cancel_scheduled("k1", kDue, cb); });
  ASSERT_TRUE(cancelled && cancelled->ok());
  EXPECT_EQ(cancelled->value(), 4u);  // two rows of two recipients
  ClaimedSends c = claim(*s, kDue + 10, 10);
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].id, 12);
}

TEST_F(PgStore, ScheduledListStopsAtBytesAsWellAsRows) {
  auto s = open();
  ASSERT_TRUE(s);
  s->start();
  constexpr int64_t kDue = 1'780'000'000'000;
  std::vector<ScheduledSend> rows;
  for (int64_t i = 0; i < 4; ++i) {
    rows.push_back(scheduled_row(20 + i, kDue + i, "bulk"));
    rows.back().line.append(kMaxListedLineBytes / 2 + 1, ' ');
  }
  auto added = await<Result<size_t>>([&](auto cb) { s->schedules().schedule(std::move(rows), cb); });
  ASSERT_TRUE(added && added->ok());
  // Rows 20 and 21 start below the bound; 22 would start past it.
  auto listed = await<Result<std::vector<ScheduledSend>>>([&](auto cb) { s->schedules().list_scheduled("bulk", kDue, 100, cb); });
  ASSERT_TRUE(listed && listed->ok()) << (listed && !listed->ok() ? listed->error().message : "");
  ASSERT_EQ((*listed)->size(), 2u);
  EXPECT_EQ((**listed)[0].id, 20);
  EXPECT_EQ((**listed)[1].id, 21);
  EXPECT_EQ((**listed)[1].line.size(), scheduled_row(21, 0).line.size() + kMaxListedLineBytes / 2 + 1);
}

TEST_F(PgStore, MigratesAVersion1Database) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    s->start();
    record_spin(*s, 0, outcome(Kind::Invalid, hex_token(51), "", "BadDeviceToken"));
    ASSERT_TRUE(wait_commit(*s));
  }
  // What v1 left: no scheduled table, version 1, a verdict function that
  // sets last_sent_at to the verdict's send time.
  const std::string kept = "strpos(prosrc, 'greatest(t.last_sent_at_ms, ats[i])') > 0";
  const std::string fn_kept = "SELECT count(*) FROM pg_proc WHERE proname = 'pushgw_apply_verdicts' AND " + kept;
  ASSERT_EQ(rig_->exec("DROP TABLE scheduled; UPDATE pushgw_meta SET v = '1' WHERE k = 'schema_version';"
                       "UPDATE pg_proc SET prosrc = replace(prosrc, 'greatest(t.last_sent_at_ms, ats[i])', 'ats[i]')"
                       " WHERE proname = 'pushgw_apply_verdicts'",
                       db_),
            "");
  ASSERT_EQ(count(fn_kept), 0);
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), 1);
  EXPECT_EQ(count("SELECT v::int FROM pushgw_meta WHERE k = 'schema_version'"), detail::kPgSchemaVersion);
  EXPECT_EQ(count(fn_kept), 1);  // v3 replaced it
  EXPECT_EQ(count("SELECT count(*) FROM scheduled"), 0);
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", hex_token(51)));  // data kept
}

TEST_F(PgStore, RefusesANewerSchemaAndSomeoneElsesTables) {
  { ASSERT_TRUE(open()); }
  ASSERT_EQ(rig_->exec("UPDATE pushgw_meta SET v = '99' WHERE k = 'schema_version'", db_), "");
  auto newer = try_open();
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, "store_schema_newer");

  dsn_ = rig_->create_db(db_ + "_foreign");
  ASSERT_EQ(rig_->exec("CREATE TABLE tokens(x int)", db_ + "_foreign"), "");
  auto foreign = try_open();
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "store_not_pushgw");
}

TEST_F(PgStore, BadDsnFailsWithoutShowingThePassword) {
  dsn_ = "host=127.0.0.1 port=1 user=x password=hunter2-secret dbname=x connect_timeout=2";
  auto r = try_open();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store_open_failed");
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("port=1"), std::string::npos) << r.error().message;
}

// A byte at a time, what append_pg_text and PgArray::add promise: NUL and
// bytes that are not valid UTF-8 become '?', valid sequences stay, and in an
// array element '"' and '\\' get a backslash. The fast path reads eight
// bytes a step, so each odd byte is tried at every offset of a 40-byte text.
std::string slow_pg_text(std::string_view s, bool quoted) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    if (c >= 1 && c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) n = 2;
    if (n == 0) {
      out += '?';
      ++i;
      continue;
    }
    if (quoted && (c == '"' || c == '\\')) out += '\\';
    out.append(s.data() + i, n);
    i += n;
  }
  return out;
}

TEST(PgText, OddBytesAtEveryOffsetAreSanitizedAndEscaped) {
  const std::string odd[] = {std::string(1, '\0'), "\xff", "\xc3", "\xc3\xa9", "\"", "\\", "\x80"};
  for (const std::string& o : odd) {
    for (size_t at = 0; at <= 40; ++at) {
      std::string text(40, 'a');
      for (size_t k = 0; k < text.size(); ++k) text[k] = static_cast<char>('a' + k % 26);
      text.insert(at, o);
      EXPECT_EQ(detail::pg_text(text), slow_pg_text(text, false)) << at;
      detail::PgArray a;
      a.add(text);
      a.add(int64_t{-9223372036854775807 - 1});
      a.add(text);
      const std::string el = "\"" + slow_pg_text(text, true) + "\"";
      EXPECT_EQ(a.literal(), "{" + el + ",-9223372036854775808," + el + "}") << at;
    }
  }
}

TEST(PgDsn, RedactionKeepsTheServerAndDropsEveryPassword) {
  EXPECT_EQ(detail::redact_dsn("host=db port=5433 dbname=pushgw user=gw password=s3cret sslmode=require"),
            "host=db port=5433 dbname=pushgw user=gw sslmode=require");
  EXPECT_EQ(detail::redact_dsn("postgresql://gw:s3cret@db:5433/pushgw?sslpassword=s3cret2"),
            "host=db port=5433 dbname=pushgw user=gw");
  EXPECT_EQ(detail::redact_dsn("host='unterminated password=s3cret"), "(unparsable dsn)");
}

}  // namespace
}  // namespace pushgw::store::testing
