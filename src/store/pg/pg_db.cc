// PgDb: opening, start-up loads and following the other instances (pg_db.h).
#include "store/pg/pg_db.h"

#include <algorithm>

#include "store/pg/schema.h"
#include "store/pg/statements.h"

namespace pushgw::store::detail {

namespace {

Platform platform_of(int64_t p) { return static_cast<Platform>(std::clamp<int64_t>(p, 0, kPlatformCount - 1)); }

constexpr const char* kSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

}  // namespace

PgDb::PgDb(std::unique_ptr<PgSession> s) : s_(std::move(s)), commit_(*s_), campaigns_(*s_), schedule_(*s_) {}

int PgDb::schema_version() const { return kPgSchemaVersion; }

Result<std::unique_ptr<PgDb>> PgDb::open(const std::string& dsn, const obs::Logger& log) {
  auto s = PgSession::connect(dsn, log);
  if (!s) return s.error();
  auto found = pg_migrate((*s)->get(), log);
  if (!found) return found.error();
  if (auto r = (*s)->setup(); !r) return r.error();
  std::unique_ptr<PgDb> db(new PgDb(std::move(*s)));
  db->schema_found_ = *found;
  // Follow from here; for_each_suppressed() / for_each_marketing_send() move
  // these to the snapshot they load.
  auto lp = db->s_->max_seq(kPgMaxLog);
  if (!lp) return lp.error();
  auto mp = db->s_->max_seq(kPgMaxMarketing);
  if (!mp) return mp.error();
  db->log_pos_ = *lp;
  db->marketing_pos_ = *mp;
  return db;
}

Result<Counts> PgDb::counts() {
  if (auto r = s_->ensure(); !r) return r.error();
  PgResultPtr res(PQexec(s_->get(),
                         "SELECT (SELECT count(*) FROM tokens), (SELECT count(*) FROM tokens WHERE state = 1),"
                         " (SELECT count(*) FROM tokens WHERE state = 2), (SELECT count(*) FROM events)"));
  if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK)
    return pg_result_error(res.get(), "store_open_failed", "counting rows");
  Counts c;
  c.tokens = static_cast<uint64_t>(pg_i64(res.get(), 0, 0));
  c.invalid = static_cast<uint64_t>(pg_i64(res.get(), 0, 1));
  c.unsubscribed = static_cast<uint64_t>(pg_i64(res.get(), 0, 2));
  c.events = static_cast<uint64_t>(pg_i64(res.get(), 0, 3));
  return c;
}

// One statement: the insert's row if it won, else the row already there. Two
// instances starting at once: the loser's SELECT may not see the winner's
// row yet (same snapshot), so it asks again.
Result<std::string> PgDb::claim_meta(std::string_view key, std::string_view value_if_absent) {
  if (auto r = s_->ensure(); !r) return r.error();
  static constexpr const char* kClaim =
      "WITH ins AS (INSERT INTO pushgw_meta(k, v) VALUES($1, $2) ON CONFLICT (k) DO NOTHING RETURNING v)"
      " SELECT v FROM ins UNION ALL SELECT v FROM pushgw_meta WHERE k = $1";
  for (int attempt = 0; attempt < 2; ++attempt) {
    PgParams p;
    p.add(key).add(value_if_absent);
    PgResultPtr res(PQexecParams(s_->get(), kClaim, p.count(), nullptr, p.values(), nullptr, nullptr, 0));
    if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK)
      return pg_result_error(res.get(), "store_open_failed", "reading pushgw_meta");
    if (PQntuples(res.get()) > 0) return std::string(pg_view(res.get(), 0, 0));
  }
  return make_error("store_open_failed", "pushgw_meta: no row for " + std::string(key));
}

Result<void> PgDb::for_each_suppressed(const SuppressedFn& fn) {
  if (auto r = s_->ensure(); !r) return r;
  // The set and the follow position come from one snapshot: every later
  // change has a larger seq (pg/schema.h), none is missed or applied twice.
  if (auto r = pg_exec(s_->get(), kSnapshot, "store_open_failed"); !r) return r;
  auto pos = s_->max_seq(kPgMaxLog);
  if (!pos) return pos.error();
  PgParams none;
  auto rows = s_->each_row(kPgSuppressed, none, [&](const PGresult* r) {
    const int64_t p = pg_i64(r, 0, 0);
    if (p < 0 || p >= kPlatformCount) return;  // written by a newer pushgw? not ours to judge
    fn(static_cast<Platform>(p), pg_view(r, 0, 1), pg_view(r, 0, 2), pg_i64(r, 0, 3));
  });
  if (!rows) return rows;
  if (auto r = pg_exec(s_->get(), "COMMIT", "store_open_failed"); !r) return r;
  log_pos_ = *pos;
  return ok();
}

Result<void> PgDb::for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) {
  if (auto r = s_->ensure(); !r) return r;
  {
    const std::string del = "DELETE FROM marketing_sends WHERE at_ms < " + std::to_string(since_ms);
    if (auto r = pg_exec(s_->get(), del.c_str(), "store_open_failed"); !r) return r;
  }
  if (auto r = pg_exec(s_->get(), kSnapshot, "store_open_failed"); !r) return r;
  auto pos = s_->max_seq(kPgMaxMarketing);
  if (!pos) return pos.error();
  PgParams p;
  p.add(since_ms);
  auto rows = s_->each_row(kPgMarketing, p, [&](const PGresult* r) {
    fn(platform_of(pg_i64(r, 0, 0)), pg_view(r, 0, 1), pg_view(r, 0, 2), pg_i64(r, 0, 3));
  });
  if (!rows) return rows;
  if (auto r = pg_exec(s_->get(), "COMMIT", "store_open_failed"); !r) return r;
  marketing_pos_ = *pos;
  return ok();
}

Result<size_t> PgDb::follow(const RemoteFn& fn) {
  if (auto r = s_->ensure(); !r) return r.error();
  PgPipeline pl(s_->get());
  PgParams none, log, mk;
  log.add(log_pos_).add(s_->instance()).add(kPgFollowLimit);
  mk.add(marketing_pos_).add(s_->instance()).add(kPgFollowLimit);
  // One snapshot: each max(seq) is the position after the rows read with it.
  pl.sql(kSnapshot);
  const size_t log_max = pl.prepared(kPgMaxLog, none);
  const size_t log_rows = pl.prepared(kPgFollowLog, log);
  const size_t mk_max = pl.prepared(kPgMaxMarketing, none);
  const size_t mk_rows = pl.prepared(kPgFollowMarketing, mk);
  pl.sql("COMMIT");
  auto res = s_->run_txn(pl, "store_read_failed");
  if (!res) return res.error();

  size_t changes = 0;
  auto advance = [](int64_t& pos, const PGresult* rows, const PGresult* max) {
    const int n = PQntuples(rows);
    // A full page: more may follow; continue after its last row next time.
    pos = n == kPgFollowLimit ? pg_i64(rows, n - 1, 0) : std::max(pos, pg_i64(max, 0, 0));
  };
  const PGresult* r = (*res)[log_rows].get();
  for (int i = 0; i < PQntuples(r); ++i, ++changes) {
    RemoteChange c;
    c.what = pg_view(r, i, 1) == "t" ? RemoteChange::What::Lift : RemoteChange::What::Suppress;
    c.platform = platform_of(pg_i64(r, i, 2));
    c.app = pg_view(r, i, 3);
    c.token = pg_view(r, i, 4);
    c.ms = pg_i64(r, i, 5);
    fn(c);
  }
  advance(log_pos_, r, (*res)[log_max].get());
  r = (*res)[mk_rows].get();
  for (int i = 0; i < PQntuples(r); ++i, ++changes) {
    RemoteChange c;
    c.what = RemoteChange::What::MarketingSend;
    c.platform = platform_of(pg_i64(r, i, 1));
    c.app = pg_view(r, i, 2);
    c.token = pg_view(r, i, 3);
    c.ms = pg_i64(r, i, 4);
    fn(c);
  }
  advance(marketing_pos_, r, (*res)[mk_max].get());
  return changes;
}

}  // namespace pushgw::store::detail
