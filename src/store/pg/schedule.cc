// Scheduled sends in the PostgreSQL engine (schedule.h).
#include "store/pg/schedule.h"

#include <algorithm>
#include <string>

#include "store/pg/statements.h"

namespace pushgw::store::detail {
namespace {

// Columns in PUSHGW_PG_SCHEDULED_COLUMNS order.
ScheduledSend read_row(const PGresult* r, int i) {
  ScheduledSend s;
  s.id = pg_i64(r, i, 0);
  s.due_ms = pg_i64(r, i, 1);
  s.schedule_key = std::string(pg_view(r, i, 2));
  s.expires_at_ms = pg_i64(r, i, 3);
  s.campaign = std::string(pg_view(r, i, 4));
  s.platform = static_cast<Platform>(std::clamp<int64_t>(pg_i64(r, i, 5), 0, kPlatformCount - 1));
  s.app = std::string(pg_view(r, i, 6));
  s.recipients = static_cast<uint32_t>(pg_i64(r, i, 7));
  s.quiet_hours = pg_view(r, i, 8) == "t";
  s.created_ms = pg_i64(r, i, 9);
  s.line = std::string(pg_view(r, i, 10));
  return s;
}

std::string id_array(const std::vector<int64_t>& ids) {
  PgArray a;
  for (int64_t id : ids) a.add(id);
  return std::string(a.literal());
}

}  // namespace

Result<size_t> PgSchedule::schedule(const std::vector<ScheduledSend>& rows) {
  if (rows.empty()) return size_t{0};
  if (auto r = s_.ensure(); !r) return r.error();
  PgArray cols[11];
  for (const ScheduledSend& s : rows) {
    cols[0].add(s.id);
    cols[1].add(s.due_ms);
    cols[2].add(s.schedule_key);
    cols[3].add(s.expires_at_ms);
    cols[4].add(s.campaign);
    cols[5].add(static_cast<int64_t>(s.platform));
    cols[6].add(s.app);
    cols[7].add(int64_t{s.recipients});
    cols[8].add(std::string_view(s.quiet_hours ? "t" : "f"));
    cols[9].add(s.created_ms);
    cols[10].add(s.line);
  }
  PgParams p;
  for (PgArray& a : cols) p.add_clean(a.literal());
  PgPipeline pl(s_.get());
  pl.sql("BEGIN");
  // Fully synced: the send is acknowledged on this commit.
  pl.sql("SET LOCAL synchronous_commit = on");
  const size_t at = pl.prepared(kPgInsertScheduled, p);
  pl.sql("COMMIT");
  auto res = s_.run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  return static_cast<size_t>(std::strtoull(PQcmdTuples((*res)[at].get()), nullptr, 10));
}

Result<ClaimedSends> PgSchedule::claim_due(int64_t due_by_ms, int64_t now_ms, int64_t lease_until_ms, uint32_t limit) {
  if (auto r = s_.ensure(); !r) return r.error();
  PgParams claim, none;
  claim.add(due_by_ms).add(now_ms).add(lease_until_ms).add(int64_t{limit});
  PgPipeline pl(s_.get());
  const size_t rows = pl.prepared(kPgClaimScheduled, claim);  // its own (implicit) transaction
  const size_t next = pl.prepared(kPgNextScheduled, none);
  auto res = s_.run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  ClaimedSends out;
  const PGresult* r = (*res)[rows].get();
  for (int i = 0; i < PQntuples(r); ++i) out.rows.push_back(read_row(r, i));
  // RETURNING follows no order: earliest due first, as the caller expects.
  std::sort(out.rows.begin(), out.rows.end(), [](const ScheduledSend& a, const ScheduledSend& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
  });
  out.next_due_ms = pg_i64((*res)[next].get(), 0, 0);  // NULL (no row) reads as 0
  return out;
}

Result<void> PgSchedule::by_ids(const char* stmt, const std::vector<int64_t>& ids) {
  if (ids.empty()) return ok();
  if (auto r = s_.ensure(); !r) return r;
  PgParams p;
  p.add_clean(id_array(ids));
  auto res = s_.query(stmt, p, "store_write_failed");
  if (!res) return res.error();
  return ok();
}

Result<void> PgSchedule::finish_claimed(const std::vector<int64_t>& ids) { return by_ids(kPgFinishScheduled, ids); }

Result<void> PgSchedule::release_claimed(const std::vector<int64_t>& ids) { return by_ids(kPgReleaseScheduled, ids); }

Result<uint64_t> PgSchedule::cancel_scheduled(std::string_view key, int64_t now_ms) {
  if (auto r = s_.ensure(); !r) return r.error();
  PgParams p;
  p.add(key).add(now_ms);
  auto res = s_.query(kPgCancelScheduled, p, "store_write_failed");
  if (!res) return res.error();
  return static_cast<uint64_t>(pg_i64(res->get(), 0, 0));
}

Result<std::vector<ScheduledSend>> PgSchedule::list_scheduled(std::string_view key, int64_t now_ms, uint32_t limit) {
  if (auto r = s_.ensure(); !r) return r.error();
  PgParams p;
  p.add(key).add(now_ms).add(int64_t{limit}).add(static_cast<int64_t>(kMaxListedLineBytes));
  auto res = s_.query(kPgListScheduled, p, "store_read_failed");
  if (!res) return res.error();
  std::vector<ScheduledSend> out;
  for (int i = 0; i < PQntuples(res->get()); ++i) out.push_back(read_row(res->get(), i));
  return out;
}

}  // namespace pushgw::store::detail
