// Persistence across close/reopen, and migration of the committed v1 fixture.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "store/engines/open.h"
#include "store/sqlite/schema.h"
#include "store/store.h"
#include "store_file_test.h"
#include "store_test_util.h"

#ifndef PUSHGW_STORE_FIXTURES
#error "PUSHGW_STORE_FIXTURES must name tests/unit/store/fixtures"
#endif

namespace pushgw::store {
namespace {

using namespace testing;

class StorePersist : public StoreFileTest {};

const std::string kB(64, 'b');
const std::string kA(64, 'a');

TEST_F(StorePersist, ReopenKeepsStatesEventsAndSuppression) {
  {
    auto s = open_store(path, clock);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_found(), 0);
    s->start();
    record_spin(*s, 0, outcome(Kind::Delivered, hex_token(1), "c"));
    record_spin(*s, 0, outcome(Kind::Invalid, hex_token(2), "c", "BadDeviceToken"));
    record_spin(*s, 0, outcome(Kind::Unsubscribed, "fcm-x", "c", "UNREGISTERED", 0, Platform::Fcm, "shop-android"));
    // No after_commit: the destructor must commit what was recorded.
  }
  auto s = open_store(path, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), detail::kSchemaVersion);
  // Loaded at open, before the store thread even runs.
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", hex_token(2)));
  EXPECT_TRUE(s->suppressed(Platform::Fcm, "shop-android", "fcm-x"));
  EXPECT_FALSE(s->suppressed(Platform::Apns, "shop-ios", hex_token(1)));
  StoreStats st = s->stats();
  // The delivery's counts were flushed to the send log at stop; its token
  // gets a row when the log is compacted (send_log.h). The verdicts have rows.
  EXPECT_EQ(st.tokens, 2u);
  EXPECT_EQ(st.send_log_tokens, 1u);
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.unsubscribed, 1u);
  EXPECT_EQ(st.events, 2u);
  EXPECT_EQ(st.suppressed_entries, 2u);
  s->start();
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(1)).delivered, 1u);
  EXPECT_EQ(get_token(*s, Platform::Fcm, "shop-android", "fcm-x").state, "unsubscribed");
  FeedbackPage p = get_feedback(*s, 0, 10);
  ASSERT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.events[0].kind, "invalid");
  EXPECT_EQ(p.events[1].kind, "unsubscribed");
  EXPECT_EQ(p.events[1].app, "shop-android");

  record_spin(*s, 0, outcome(Kind::Invalid, hex_token(3), "", "BadDeviceToken"));
  ASSERT_TRUE(wait_commit(*s));
  EXPECT_EQ(get_feedback(*s, p.next, 10).events.at(0).seq, 3u);
}

// The suppression set's keyed hash (issue 15, item 4): the secret is made on
// the first start, kept in meta, the same on every reopen, and another
// database (another installation) has another one.
TEST_F(StorePersist, HashKeyIsMadeOnceAndKeptWithTheDatabase) {
  const std::string web = "https://push.example.net/wp/abc";
  uint64_t first = 0;
  {
    auto s = open_store(path, clock);
    ASSERT_TRUE(s);
    first = s->key(Platform::WebPush, "shop-web", web);
    s->start();
    record_spin(*s, 0, outcome(Kind::Unsubscribed, web, "", "Gone", 0, Platform::WebPush, "shop-web"));
    ASSERT_TRUE(wait_commit(*s));
  }
  EXPECT_EQ(query_int(path, "SELECT length(v) FROM meta WHERE k = 'suppression_hash_key'"), 32);
  auto again = open_store(path, clock);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->key(Platform::WebPush, "shop-web", web), first);
  EXPECT_TRUE(again->suppressed(Platform::WebPush, "shop-web", web));
  TempDir other;
  auto elsewhere = open_store(other.file("pushgw.db"), clock);
  ASSERT_TRUE(elsewhere);
  EXPECT_NE(elsewhere->key(Platform::WebPush, "shop-web", web), first);
}

TEST_F(StorePersist, DestructorCommitsEvenIfNeverStarted) {
  {
    auto s = open_store(path, clock);
    ASSERT_TRUE(s);
    for (int i = 0; i < 100; ++i) record_spin(*s, 0, outcome(Kind::Delivered, hex_token(static_cast<uint64_t>(i))));
  }
  // In the send log, not yet in rows (send_log.h) ...
  EXPECT_EQ(query_int(path, "SELECT coalesce(sum(rows), 0) FROM send_log"), 100);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM tokens"), 0);
  // ... which the next start reads back, and a flush writes into the rows.
  auto s = open_store(path, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stats().send_log_tokens, 100u);
  s->start();
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(7)).delivered, 1u);
  ASSERT_TRUE(flush_sends(*s));
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM tokens"), 100);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM send_log"), 0);
  EXPECT_EQ(s->stats().tokens, 100u);
  EXPECT_EQ(s->stats().send_log_tokens, 0u);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(7)).delivered, 1u);
}

class StoreMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("pushgw.db");
    std::filesystem::copy_file(std::string(PUSHGW_STORE_FIXTURES) + "/v1.db", path_);
  }
  TempDir dir_;
  TestClock clock_{1'690'001'000'000};  // near the fixture's times: retention keeps its events
  std::string path_;
};

TEST_F(StoreMigration, V1FixtureOpensWithDataIntactAndSchemaCurrent) {
  ASSERT_EQ(query_int(path_, "PRAGMA user_version"), 1);
  auto s = open_store(path_, clock_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), 1);

  // Schema is current: version, new columns, new indexes, meta table, WAL.
  EXPECT_EQ(query_int(path_, "PRAGMA user_version"), detail::kSchemaVersion);
  EXPECT_EQ(query_int(path_, "SELECT count(*) FROM pragma_table_info('tokens') WHERE name IN ('failed','last_campaign')"), 2);
  EXPECT_EQ(query_int(path_, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND name IN "
                             "('tokens_suppressed','events_by_time')"),
            2);
  EXPECT_EQ(query_int(path_, "SELECT count(*) FROM sqlite_schema WHERE name='meta'"), 1);
  // An older file gets its hash secret on the first start; keys are never
  // stored, so its suppressed rows (below) stay valid as they are.
  EXPECT_EQ(query_int(path_, "SELECT length(v) FROM meta WHERE k = 'suppression_hash_key'"), 32);

  // Counts and suppression were loaded from the migrated file.
  StoreStats st = s->stats();
  EXPECT_EQ(st.tokens, 4u);
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.unsubscribed, 2u);
  EXPECT_EQ(st.events, 3u);
  EXPECT_TRUE(s->suppressed(Platform::Apns, "shop-ios", kB));
  EXPECT_TRUE(s->suppressed(Platform::Fcm, "shop-android", "fcm-token-c"));
  EXPECT_TRUE(s->suppressed(Platform::WebPush, "shop-web", "https://push.example.net/wp/xyz"));
  EXPECT_FALSE(s->suppressed(Platform::Apns, "shop-ios", kA));
  EXPECT_FALSE(s->suppressed(Platform::Apns, "shop-ios", kB, 1'690'000'100'001));  // since kept

  s->start();
  TokenState b = get_token(*s, Platform::Apns, "shop-ios", kB);
  EXPECT_EQ(b.state, "unsubscribed");
  EXPECT_EQ(b.reason, "Unregistered");
  EXPECT_EQ(b.since_ms, 1'690'000'100'000);
  EXPECT_EQ(b.sent, 3u);
  EXPECT_EQ(b.delivered, 2u);
  EXPECT_EQ(b.failed, 0u);  // new column, default
  EXPECT_EQ(b.last_campaign, "");
  EXPECT_EQ(b.last_sent_at_ms, 1'690'000'600'000);
  TokenState a = get_token(*s, Platform::Apns, "shop-ios", kA);
  EXPECT_EQ(a.state, "active");
  EXPECT_EQ(a.delivered, 5u);

  FeedbackPage p = get_feedback(*s, 0, 10);
  ASSERT_EQ(p.events.size(), 3u);
  EXPECT_EQ(p.events[0].seq, 4u);
  EXPECT_EQ(p.events[0].campaign, "spring-sale");
  EXPECT_EQ(p.events[2].platform, Platform::WebPush);
  EXPECT_EQ(p.events[2].token, "https://push.example.net/wp/xyz");
  EXPECT_EQ(p.next, 7u);

  // New writes use the new columns; seq 7 was used (and pruned) in v1: never reused.
  record_spin(*s, 0, outcome(Kind::Failed, kA, "autumn", "InternalServerError"));
  record_spin(*s, 0, outcome(Kind::Invalid, kA, "autumn", "BadDeviceToken"));
  ASSERT_TRUE(wait_commit(*s));
  a = get_token(*s, Platform::Apns, "shop-ios", kA);
  EXPECT_EQ(a.failed, 1u);
  EXPECT_EQ(a.last_campaign, "autumn");
  p = get_feedback(*s, 7, 10);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].seq, 8u);
}

TEST_F(StoreMigration, ReopeningAMigratedFileDoesNotMigrateAgain) {
  { ASSERT_TRUE(open_store(path_, clock_)); }
  auto s = open_store(path_, clock_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), detail::kSchemaVersion);
  EXPECT_EQ(s->stats().tokens, 4u);
}

TEST_F(StoreMigration, NewerSchemaIsRefused) {
  ASSERT_EQ(query_int(path_, "PRAGMA user_version"), 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  store::StoreConfig cfg;
  cfg.path = path_;
  auto r = store::open_store(cfg, 1, clock_, quiet_logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "store_schema_newer");
}

// The database holds Web Push auth secrets (issue 15, item 10): 0600 with its
// -wal and -shm, whatever the umask, and a file left wider is narrowed.
TEST_F(StoreOpen, DatabaseFilesAreOwnerOnlyWhateverTheUmask) {
  auto mode = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
  };
  const mode_t old = ::umask(0);
  {
    auto s = start_store(path, clock);
    ASSERT_TRUE(s);
    record_spin(*s, 0, outcome(Kind::Unsubscribed, kB, "", "Unregistered"));
    ASSERT_TRUE(wait_commit(*s));
    EXPECT_EQ(mode(path), 0600);
    EXPECT_EQ(mode(path + "-wal"), 0600);
    EXPECT_EQ(mode(path + "-shm"), 0600);
  }
  const std::string wide = dir.file("wide.db");
  FILE* f = std::fopen(wide.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ::chmod(wide.c_str(), 0666);
  {
    auto s = open_store(wide, clock);
    ASSERT_TRUE(s);
    EXPECT_EQ(mode(wide), 0600);
  }
  ::umask(old);
}

TEST_F(StoreOpen, ForeignDatabaseIsRefused) {
  const std::string path = dir.file("other.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  store::StoreConfig cfg;
  cfg.path = path;
  auto r = store::open_store(cfg, 1, clock, quiet_logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "store_not_pushgw");
}

}  // namespace
}  // namespace pushgw::store
