// Scheduled sends in SQLite (store/scheduled.h). One process owns the file,
// so a claim needs no row locks: one UPDATE .. RETURNING marks and returns
// the rows atomically.
#include "store/sqlite_db.h"

namespace pushgw::store::detail {
namespace {

constexpr const char* kColumns =
    "id, due_ms, schedule_key, expires_at_ms, campaign, platform, app, recipients, quiet_hours, created_ms, line";

constexpr const char* kInsertScheduled =
    "INSERT INTO scheduled(id, due_ms, schedule_key, expires_at_ms, campaign, platform, app, recipients,"
    " quiet_hours, created_ms, line) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT(id) DO NOTHING";
constexpr const char* kNextDue = "SELECT min(due_ms) FROM scheduled WHERE claimed_until_ms = 0";
constexpr const char* kNextLease =
    "SELECT min(max(due_ms, claimed_until_ms)) FROM scheduled WHERE claimed_until_ms > 0";
constexpr const char* kDeleteScheduled = "DELETE FROM scheduled WHERE id = ?1";
constexpr const char* kReleaseScheduled = "UPDATE scheduled SET claimed_until_ms = 0 WHERE id = ?1";
constexpr const char* kCancelScheduled =
    "DELETE FROM scheduled WHERE schedule_key = ?1 AND ?1 <> '' AND claimed_until_ms <= ?2 RETURNING recipients";

std::string claim_sql() {
  return std::string("UPDATE scheduled SET claimed_until_ms = ?3 WHERE id IN (SELECT id FROM scheduled"
                     " WHERE due_ms <= ?1 AND claimed_until_ms <= ?2 ORDER BY due_ms LIMIT ?4) RETURNING ") +
         kColumns;
}

std::string list_sql() {
  return std::string("SELECT ") + kColumns +
         " FROM scheduled WHERE schedule_key = ?1 AND ?1 <> '' AND claimed_until_ms <= ?2 ORDER BY due_ms, id"
         " LIMIT ?3";
}

ScheduledSend read_row(const Stmt::Use& u) {
  ScheduledSend r;
  r.id = u.i64(0);
  r.due_ms = u.i64(1);
  r.schedule_key = u.text(2);
  r.expires_at_ms = u.i64(3);
  r.campaign = u.text(4);
  r.platform = static_cast<Platform>(u.i64(5));
  r.app = u.text(6);
  r.recipients = static_cast<uint32_t>(u.i64(7));
  r.quiet_hours = u.i64(8) != 0;
  r.created_ms = u.i64(9);
  r.line = u.text(10);
  return r;
}

}  // namespace

Result<void> SqliteDb::prepare_schedule() {
  const std::string claim = claim_sql(), list = list_sql();
  const std::pair<Stmt*, const char*> all[] = {
      {&ins_sched_, kInsertScheduled}, {&claim_sched_, claim.c_str()},  {&next_due_, kNextDue},
      {&next_lease_, kNextLease},      {&del_sched_, kDeleteScheduled}, {&release_sched_, kReleaseScheduled},
      {&cancel_sched_, kCancelScheduled}, {&list_sched_, list.c_str()}};
  for (const auto& [stmt, sql] : all) {
    auto s = Stmt::prepare(db_.get(), sql);
    if (!s) return s.error();
    *stmt = std::move(*s);
  }
  return ok();
}

Result<size_t> SqliteDb::schedule(const std::vector<ScheduledSend>& rows) {
  // Synced like the spool's records: the send is acknowledged on this commit.
  if (auto r = begin(true); !r) return r.error();
  size_t added = 0;
  for (const ScheduledSend& s : rows) {
    auto u = ins_sched_.use();
    u.bind(1, s.id).bind(2, s.due_ms).bind(3, s.schedule_key).bind(4, s.expires_at_ms).bind(5, s.campaign);
    u.bind(6, static_cast<int64_t>(s.platform)).bind(7, s.app).bind(8, int64_t{s.recipients});
    u.bind(9, int64_t{s.quiet_hours ? 1 : 0}).bind(10, s.created_ms).bind(11, s.line);
    if (auto r = done(u, "scheduled insert"); !r) {
      rollback();
      return r.error();
    }
    added += static_cast<size_t>(sqlite3_changes(db_.get()));
  }
  if (auto r = end_txn(); !r) {
    rollback();
    return r.error();
  }
  return added;
}

Result<int64_t> SqliteDb::next_claimable() {
  int64_t next = 0;
  for (const Stmt* st : {&next_due_, &next_lease_}) {
    auto u = st->use();
    if (u.step() != SQLITE_ROW) return sql_error(db_.get(), "store_read_failed", "next scheduled");
    const int64_t v = u.i64(0);  // NULL (no row) reads as 0
    if (v > 0 && (next == 0 || v < next)) next = v;
  }
  return next;
}

Result<ClaimedSends> SqliteDb::claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms,
                                         uint32_t limit) {
  ClaimedSends out;
  {
    auto u = claim_sched_.use();
    u.bind(1, due_by_ms).bind(2, now_ms).bind(3, lease_until_ms).bind(4, int64_t{limit});
    int rc;
    while ((rc = u.step()) == SQLITE_ROW) out.rows.push_back(read_row(u));
    if (rc != SQLITE_DONE) return sql_error(db_.get(), "store_write_failed", "scheduled claim");
  }
  auto next = next_claimable();
  if (!next) return next.error();
  out.next_due_ms = *next;
  return out;
}

Result<void> SqliteDb::each_id(const Stmt& st, const std::vector<int64_t>& ids, const char* what) {
  if (auto r = begin(false); !r) return r;
  for (int64_t id : ids) {
    auto u = st.use();
    if (auto r = done(u.bind(1, id), what); !r) {
      rollback();
      return r;
    }
  }
  if (auto r = end_txn(); !r) {
    rollback();
    return r;
  }
  return ok();
}

Result<void> SqliteDb::finish_claimed(const std::vector<int64_t>& ids) {
  return each_id(del_sched_, ids, "scheduled delete");
}

Result<void> SqliteDb::release_claimed(const std::vector<int64_t>& ids) {
  return each_id(release_sched_, ids, "scheduled release");
}

Result<uint64_t> SqliteDb::cancel_scheduled(std::string_view key, int64_t now_ms) {
  auto u = cancel_sched_.use();
  u.bind(1, key).bind(2, now_ms);
  uint64_t recipients = 0;
  int rc;
  while ((rc = u.step()) == SQLITE_ROW) recipients += static_cast<uint64_t>(u.i64(0));
  if (rc != SQLITE_DONE) return sql_error(db_.get(), "store_write_failed", "scheduled cancel");
  return recipients;
}

Result<std::vector<ScheduledSend>> SqliteDb::list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) {
  auto u = list_sched_.use();
  u.bind(1, key).bind(2, now_ms).bind(3, int64_t{limit});
  std::vector<ScheduledSend> out;
  size_t bytes = 0;
  int rc = SQLITE_DONE;
  // The key's index streams the rows in order: stopping here loads no more.
  while (bytes < kMaxListedLineBytes && (rc = u.step()) == SQLITE_ROW) {
    out.push_back(read_row(u));
    bytes += out.back().line.size();
  }
  if (bytes < kMaxListedLineBytes && rc != SQLITE_DONE)
    return sql_error(db_.get(), "store_read_failed", "scheduled list");
  return out;
}

}  // namespace pushgw::store::detail
