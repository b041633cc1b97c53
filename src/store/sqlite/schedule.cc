// Scheduled sends in the SQLite engine (schedule.h).
#include "store/sqlite/schedule.h"

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

Result<void> SqliteSchedule::prepare() {
  const std::string claim = claim_sql(), list = list_sql();
  return conn_.prepare({{&insert_, kInsertScheduled},
                        {&claim_, claim.c_str()},
                        {&next_due_, kNextDue},
                        {&next_lease_, kNextLease},
                        {&delete_, kDeleteScheduled},
                        {&release_, kReleaseScheduled},
                        {&cancel_, kCancelScheduled},
                        {&list_, list.c_str()}});
}

Result<size_t> SqliteSchedule::schedule(const std::vector<ScheduledSend>& rows) {
  // Synced like the spool's records: the send is acknowledged on this commit.
  auto txn = SqliteTxn::begin(conn_, true);
  if (!txn) return txn.error();
  size_t added = 0;
  for (const ScheduledSend& s : rows) {
    auto u = insert_.use();
    u.bind(1, s.id).bind(2, s.due_ms).bind(3, s.schedule_key).bind(4, s.expires_at_ms).bind(5, s.campaign);
    u.bind(6, static_cast<int64_t>(s.platform)).bind(7, s.app).bind(8, int64_t{s.recipients});
    u.bind(9, int64_t{s.quiet_hours ? 1 : 0}).bind(10, s.created_ms).bind(11, s.line);
    if (auto r = conn_.done(u, "scheduled insert"); !r) return r.error();
    added += static_cast<size_t>(conn_.changes());
  }
  if (auto r = txn->commit(); !r) return r.error();
  return added;
}

Result<int64_t> SqliteSchedule::next_claimable() {
  int64_t next = 0;
  for (const Stmt* st : {&next_due_, &next_lease_}) {
    auto u = st->use();
    if (u.step() != SQLITE_ROW) return conn_.error("store_read_failed", "next scheduled");
    const int64_t v = u.i64(0);  // NULL (no row) reads as 0
    if (v > 0 && (next == 0 || v < next)) next = v;
  }
  return next;
}

Result<ClaimedSends> SqliteSchedule::claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms,
                                               uint32_t limit) {
  ClaimedSends out;
  {
    auto u = claim_.use();
    u.bind(1, due_by_ms).bind(2, now_ms).bind(3, lease_until_ms).bind(4, int64_t{limit});
    int rc;
    while ((rc = u.step()) == SQLITE_ROW) out.rows.push_back(read_row(u));
    if (rc != SQLITE_DONE) return conn_.error("store_write_failed", "scheduled claim");
  }
  auto next = next_claimable();
  if (!next) return next.error();
  out.next_due_ms = *next;
  return out;
}

Result<void> SqliteSchedule::each_id(const Stmt& st, const std::vector<int64_t>& ids, const char* what) {
  auto txn = SqliteTxn::begin(conn_, false);
  if (!txn) return txn.error();
  for (int64_t id : ids) {
    auto u = st.use();
    if (auto r = conn_.done(u.bind(1, id), what); !r) return r;
  }
  return txn->commit();
}

Result<void> SqliteSchedule::finish_claimed(const std::vector<int64_t>& ids) {
  return each_id(delete_, ids, "scheduled delete");
}

Result<void> SqliteSchedule::release_claimed(const std::vector<int64_t>& ids) {
  return each_id(release_, ids, "scheduled release");
}

Result<uint64_t> SqliteSchedule::cancel_scheduled(std::string_view key, int64_t now_ms) {
  auto u = cancel_.use();
  u.bind(1, key).bind(2, now_ms);
  uint64_t recipients = 0;
  int rc;
  while ((rc = u.step()) == SQLITE_ROW) recipients += static_cast<uint64_t>(u.i64(0));
  if (rc != SQLITE_DONE) return conn_.error("store_write_failed", "scheduled cancel");
  return recipients;
}

Result<std::vector<ScheduledSend>> SqliteSchedule::list_scheduled(std::string_view key, int64_t now_ms,
                                                                   uint32_t limit) {
  auto u = list_.use();
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
    return conn_.error("store_read_failed", "scheduled list");
  return out;
}

}  // namespace pushgw::store::detail
