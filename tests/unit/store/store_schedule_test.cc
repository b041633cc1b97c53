// Scheduled sends in the store: insert (idempotent by id), claim with a
// lease (atomic, due rows only, earliest first), finish/release, cancel and
// list by key, persistence, and the v3 -> v4 migration that adds them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/schema.h"
#include "store/store.h"
#include "store_file_test.h"
#include "store_test_util.h"

namespace pushgw::store {
namespace {

using namespace testing;

class StoreSchedule : public StoreFileTest {};

constexpr int64_t kT = 1'780'000'000'000;

ScheduledSend row(int64_t id, int64_t due_ms, std::string key, uint32_t recipients = 1) {
  ScheduledSend s;
  s.id = id;
  s.due_ms = due_ms;
  s.schedule_key = std::move(key);
  s.campaign = "spring";
  s.platform = Platform::Fcm;
  s.app = "shop-android";
  s.recipients = recipients;
  s.quiet_hours = id % 2 == 0;
  s.created_ms = kT - 1000;
  s.expires_at_ms = due_ms + 60'000;
  s.line = R"({"op":"send","notifications":[]})" + std::to_string(id);
  return s;
}

size_t insert(Store& s, std::vector<ScheduledSend> rows) {
  auto r = await<Result<size_t>>([&](auto cb) { s.schedules().schedule(std::move(rows), cb); });
  EXPECT_TRUE(r && r->ok());
  return r && r->ok() ? r->value() : 0;
}

ClaimedSends claim(Store& s, int64_t now_ms, uint32_t limit = 100, int64_t lease_ms = 30'000) {
  auto r = await<Result<ClaimedSends>>([&](auto cb) { s.schedules().claim_due(now_ms, lease_ms, limit, cb); });
  EXPECT_TRUE(r && r->ok());
  return r && r->ok() ? r->value() : ClaimedSends{};
}

std::vector<int64_t> ids(const std::vector<ScheduledSend>& rows) {
  std::vector<int64_t> out;
  for (const auto& r : rows) out.push_back(r.id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<ScheduledSend> list(Store& s, const std::string& key, int64_t now_ms, uint32_t limit = 100) {
  auto r = await<Result<std::vector<ScheduledSend>>>([&](auto cb) { s.schedules().list_scheduled(key, now_ms, limit, cb); });
  EXPECT_TRUE(r && r->ok());
  return r && r->ok() ? r->value() : std::vector<ScheduledSend>{};
}

uint64_t cancel(Store& s, const std::string& key, int64_t now_ms) {
  auto r = await<Result<uint64_t>>([&](auto cb) { s.schedules().cancel_scheduled(key, now_ms, cb); });
  EXPECT_TRUE(r && r->ok());
  return r && r->ok() ? r->value() : 0;
}

void finish(Store& s, std::vector<int64_t> which, bool release = false) {
  auto r = await<Result<void>>([&](auto cb) {
    if (release) s.schedules().release_claimed(std::move(which), cb);
    else s.schedules().finish_claimed(std::move(which), cb);
  });
  EXPECT_TRUE(r && r->ok());
}

TEST_F(StoreSchedule, ClaimTakesDueRowsOnceUnderALease) {
  auto s = start_store(dir.file("pushgw.db"), clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(insert(*s, {row(1, kT + 1000, "cart"), row(2, kT + 2000, "cart", 3), row(3, kT + 5000, "")}), 3u);
  EXPECT_EQ(insert(*s, {row(1, kT + 9000, "other")}), 0u);  // the same id again: a no-op

  ClaimedSends none = claim(*s, kT);
  EXPECT_TRUE(none.rows.empty());
  EXPECT_EQ(none.next_due_ms, kT + 1000);

  ClaimedSends first = claim(*s, kT + 2000, 1);  // limit 1: the earliest due
  ASSERT_EQ(first.rows.size(), 1u);
  const ScheduledSend& r = first.rows[0];
  EXPECT_EQ(r.id, 1);
  EXPECT_EQ(r.due_ms, kT + 1000);  // the first insert won
  EXPECT_EQ(r.schedule_key, "cart");
  EXPECT_EQ(r.campaign, "spring");
  EXPECT_EQ(r.platform, Platform::Fcm);
  EXPECT_EQ(r.app, "shop-android");
  EXPECT_EQ(r.recipients, 1u);
  EXPECT_FALSE(r.quiet_hours);
  EXPECT_EQ(r.created_ms, kT - 1000);
  EXPECT_EQ(r.expires_at_ms, kT + 61'000);
  EXPECT_EQ(r.line, std::string(R"({"op":"send","notifications":[]})") + "1");
  EXPECT_EQ(first.next_due_ms, kT + 2000);

  ClaimedSends second = claim(*s, kT + 2000);
  EXPECT_EQ(ids(second.rows), (std::vector<int64_t>{2}));  // row 1 is leased
  EXPECT_TRUE(second.rows[0].quiet_hours);
  EXPECT_EQ(second.next_due_ms, kT + 5000);

  // Row 1 is handed on; row 2 is given back and due again at once.
  finish(*s, {1});
  finish(*s, {2}, true);
  EXPECT_EQ(ids(claim(*s, kT + 2000).rows), (std::vector<int64_t>{2}));
  // Nobody finished row 2: when its lease ends it can be claimed again.
  EXPECT_EQ(ids(claim(*s, kT + 2000 + 29'999).rows), (std::vector<int64_t>{3}));
  EXPECT_EQ(ids(claim(*s, kT + 2000 + 30'000).rows), (std::vector<int64_t>{2}));
  EXPECT_EQ(ids(claim(*s, kT + 2000 + 30'000 * 2).rows), (std::vector<int64_t>{2, 3}));
}

TEST_F(StoreSchedule, CancelAndListByKeySkipLeasedRows) {
  auto s = start_store(dir.file("pushgw.db"), clock);
  ASSERT_TRUE(s);
  insert(*s, {row(10, kT + 1000, "cart-9", 2), row(11, kT + 500'000, "cart-9", 5), row(12, kT + 1000, "cart-8"),
              row(13, kT + 2000, "")});
  auto l = list(*s, "cart-9", kT);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].id, 10);  // earliest due first
  EXPECT_EQ(l[1].id, 11);
  EXPECT_EQ(list(*s, "cart-9", kT, 1).size(), 1u);
  EXPECT_TRUE(list(*s, "nope", kT).empty());
  EXPECT_TRUE(list(*s, "", kT).empty());  // rows without a key are never listed or cancelled
  // Row 10 is being sent: cancel removes only row 11 (5 recipients).
  EXPECT_EQ(ids(claim(*s, kT + 1000).rows), (std::vector<int64_t>{10, 12}));
  EXPECT_EQ(ids(list(*s, "cart-9", kT + 1000)), (std::vector<int64_t>{11}));
  EXPECT_EQ(cancel(*s, "cart-9", kT + 1000), 5u);
  EXPECT_EQ(cancel(*s, "cart-9", kT + 1000), 0u);
  EXPECT_EQ(cancel(*s, "", kT + 1000), 0u);
  EXPECT_EQ(ids(claim(*s, kT + 600'000).rows), (std::vector<int64_t>{10, 12, 13}));  // leases over; 11 is gone
}

TEST_F(StoreSchedule, ListStopsAtBytesAsWellAsRows) {
  // Rows hold request lines of up to a request's size: a listing of
  // thousands of them must not load them all (issue 15 item 9).
  auto s = start_store(path, clock);
  ASSERT_TRUE(s);
  const size_t big = kMaxListedLineBytes / 2 + 1;
  std::vector<ScheduledSend> rows;
  for (int64_t i = 0; i < 4; ++i) {
    rows.push_back(row(20 + i, kT + 1000 * (i + 1), "bulk"));
    rows.back().line.append(big, ' ');
  }
  rows.push_back(row(30, kT + 9000, "small"));
  insert(*s, std::move(rows));
  // Row 20 starts at 0 bytes, 21 at big (< the bound): both listed; 22
  // would start past the bound.
  auto l = list(*s, "bulk", kT, 100);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].id, 20);
  EXPECT_EQ(l[1].id, 21);
  EXPECT_EQ(list(*s, "bulk", kT, 1).size(), 1u);  // rows still bound it
  EXPECT_EQ(list(*s, "small", kT).size(), 1u);
}

TEST_F(StoreSchedule, RowsSurviveReopen) {
  {
    auto s = start_store(path, clock);
    ASSERT_TRUE(s);
    insert(*s, {row(7, kT + 1000, "k", 4)});
  }
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM scheduled"), 1);
  auto s = start_store(path, clock);
  ASSERT_TRUE(s);
  ClaimedSends c = claim(*s, kT + 1000);
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].recipients, 4u);
  EXPECT_EQ(c.next_due_ms, kT + 1000 + 30'000);  // only the leased row is left
  finish(*s, {7});
  EXPECT_EQ(claim(*s, kT + 1000).next_due_ms, 0);
}

// A v3 file (the campaign-policy schema) gains the scheduled table at open.
TEST_F(StoreSchedule, MigratesAVersion3File) {
  {
    auto s = start_store(path, clock);
    ASSERT_TRUE(s);
    record_spin(*s, 0, outcome(Kind::Delivered, hex_token(1), "spring"));
    ASSERT_TRUE(wait_commit(*s));
  }
  {  // Back to what v3 wrote.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE scheduled; DROP TABLE send_log; DROP TABLE send_log_forgets;"
                                     " PRAGMA user_version = 3", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_EQ(query_int(path, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'scheduled%'"), 0);
  auto s = open_store(path, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), 3);
  EXPECT_EQ(query_int(path, "PRAGMA user_version"), detail::kSchemaVersion);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                            "('scheduled','scheduled_by_due','scheduled_by_key','scheduled_claimed')"),
            4);
  EXPECT_EQ(query_int(path, "SELECT sent FROM campaigns WHERE name='spring'"), 1);  // v3 data kept
  s->start();
  EXPECT_EQ(insert(*s, {row(1, kT, "k")}), 1u);
  EXPECT_EQ(ids(claim(*s, kT).rows), (std::vector<int64_t>{1}));
}

}  // namespace
}  // namespace pushgw::store
