// PgDb: reads, start-up loads, forget/prune, campaigns and engagement, and
// following the other instances (pg_db.h).
#include <algorithm>

#include "store/pg/pg_db.h"
#include "store/pg/statements.h"

namespace pushgw::store::detail {

namespace {

Platform platform_of(int64_t p) { return static_cast<Platform>(std::clamp<int64_t>(p, 0, kPlatformCount - 1)); }

constexpr const char* kSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

}  // namespace

Result<PgResultPtr> PgDb::query(const char* stmt, PgParams& p, const char* code) {
  PgResultPtr res(PQexecPrepared(conn_.get(), stmt, p.count(), p.values(), nullptr, nullptr, 0));
  const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    return res ? pg_result_error(res.get(), code, stmt) : pg_error(conn_.get(), code, stmt);
  return res;
}

Result<void> PgDb::each_row(const char* stmt, PgParams& p, const std::function<void(const PGresult*)>& row) {
  PGconn* c = conn_.get();
  if (PQsendQueryPrepared(c, stmt, p.count(), p.values(), nullptr, nullptr, 0) != 1)
    return pg_error(c, "store_open_failed", stmt);
  // One row per result: a few million suppressed tokens never sit in memory
  // twice.
  (void)PQsetSingleRowMode(c);
  std::optional<Error> err;
  while (PGresult* raw = PQgetResult(c)) {
    PgResultPtr r(raw);
    const ExecStatusType st = PQresultStatus(raw);
    if (st == PGRES_SINGLE_TUPLE) {
      if (!err) row(raw);
    } else if (st != PGRES_TUPLES_OK && !err) {
      err = pg_result_error(raw, "store_open_failed", stmt);
    }
  }
  if (err) return *err;
  return ok();
}

Result<int64_t> PgDb::max_seq(const char* stmt) {
  PgParams none;
  auto r = query(stmt, none, "store_open_failed");
  if (!r) return r.error();
  return pg_i64(r->get(), 0, 0);
}

Result<Counts> PgDb::counts() {
  if (auto r = ensure(); !r) return r.error();
  PgResultPtr res(PQexec(conn_.get(),
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

Result<void> PgDb::for_each_suppressed(const SuppressedFn& fn) {
  if (auto r = ensure(); !r) return r;
  // The set and the follow position come from one snapshot: every later
  // change has a larger seq (pg_schema.h), none is missed or applied twice.
  if (auto r = pg_exec(conn_.get(), kSnapshot, "store_open_failed"); !r) return r;
  auto pos = max_seq(kPgMaxLog);
  if (!pos) return pos.error();
  PgParams none;
  auto rows = each_row(kPgSuppressed, none, [&](const PGresult* r) {
    const int64_t p = pg_i64(r, 0, 0);
    if (p < 0 || p >= kPlatformCount) return;  // written by a newer pushgw? not ours to judge
    fn(static_cast<Platform>(p), pg_view(r, 0, 1), pg_view(r, 0, 2), pg_i64(r, 0, 3));
  });
  if (!rows) return rows;
  if (auto r = pg_exec(conn_.get(), "COMMIT", "store_open_failed"); !r) return r;
  log_pos_ = *pos;
  return ok();
}

Result<void> PgDb::for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) {
  if (auto r = ensure(); !r) return r;
  {
    const std::string del = "DELETE FROM marketing_sends WHERE at_ms < " + std::to_string(since_ms);
    if (auto r = pg_exec(conn_.get(), del.c_str(), "store_open_failed"); !r) return r;
  }
  if (auto r = pg_exec(conn_.get(), kSnapshot, "store_open_failed"); !r) return r;
  auto pos = max_seq(kPgMaxMarketing);
  if (!pos) return pos.error();
  PgParams p;
  p.add(since_ms);
  auto rows = each_row(kPgMarketing, p, [&](const PGresult* r) {
    fn(platform_of(pg_i64(r, 0, 0)), pg_view(r, 0, 1), pg_view(r, 0, 2), pg_i64(r, 0, 3));
  });
  if (!rows) return rows;
  if (auto r = pg_exec(conn_.get(), "COMMIT", "store_open_failed"); !r) return r;
  marketing_pos_ = *pos;
  return ok();
}

Result<TokenState> PgDb::token(Platform p, std::string_view app, std::string_view token) {
  if (auto r = ensure(); !r) return r.error();
  PgParams params;
  params.add(static_cast<int64_t>(p)).add(app).add_clean(pg_token_key(pg_text(token)));
  auto res = query(kPgGetToken, params, "store_read_failed");
  if (!res) return res.error();
  const PGresult* r = res->get();
  TokenState t;
  if (PQntuples(r) == 0) {
    t.state = "unknown";
    return t;
  }
  t.state = state_name(pg_i64(r, 0, 0));
  t.reason = std::string(pg_view(r, 0, 1));
  t.since_ms = pg_i64(r, 0, 2);
  t.sent = static_cast<uint64_t>(pg_i64(r, 0, 3));
  t.delivered = static_cast<uint64_t>(pg_i64(r, 0, 4));
  t.failed = static_cast<uint64_t>(pg_i64(r, 0, 5));
  t.last_sent_at_ms = pg_i64(r, 0, 6);
  t.last_campaign = std::string(pg_view(r, 0, 7));
  return t;
}

Result<FeedbackPage> PgDb::feedback(uint64_t since, uint32_t limit) {
  if (auto r = ensure(); !r) return r.error();
  FeedbackPage page;
  page.next = since;
  // seq is a signed bigint: a `since` beyond it simply matches nothing.
  const int64_t from = since > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(since);
  PgParams params;
  params.add(from).add(static_cast<int64_t>(limit));
  auto res = query(kPgGetEvents, params, "store_read_failed");
  if (!res) return res.error();
  const PGresult* r = res->get();
  for (int i = 0; i < PQntuples(r); ++i) {
    Event e;
    e.seq = static_cast<uint64_t>(pg_i64(r, i, 0));
    e.at_ms = pg_i64(r, i, 1);
    e.platform = platform_of(pg_i64(r, i, 2));
    e.app = std::string(pg_view(r, i, 3));
    e.token = std::string(pg_view(r, i, 4));
    e.kind = state_name(pg_i64(r, i, 5));
    e.reason = std::string(pg_view(r, i, 6));
    e.campaign = std::string(pg_view(r, i, 7));
    page.next = e.seq + 1;
    page.events.push_back(std::move(e));
  }
  return page;
}

Result<std::optional<int>> PgDb::forget(Platform p, std::string_view app, std::string_view token) {
  if (auto r = ensure(); !r) return r.error();
  PgPipeline pl(conn_.get());
  PgParams none, params;
  const std::string text = pg_text(token);
  params.add(instance_).add(static_cast<int64_t>(p)).add(app).add_clean(text).add_clean(pg_token_key(text));
  pl.sql("BEGIN");
  pl.prepared(kPgFeedLockStmt, none);
  const size_t at = pl.prepared(kPgForget, params);
  pl.sql("COMMIT");
  auto res = run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  const PGresult* r = (*res)[at].get();
  if (PQntuples(r) == 0) return std::optional<int>();
  return std::optional<int>(static_cast<int>(pg_i64(r, 0, 0)));
}

Result<uint64_t> PgDb::prune(int64_t before_ms, uint32_t chunk) {
  if (auto r = ensure(); !r) return r.error();
  PgParams events, log;
  events.add(before_ms).add(static_cast<int64_t>(chunk));
  auto res = query(kPgPruneEvents, events, "store_write_failed");
  if (!res) return res.error();
  const uint64_t n = std::strtoull(PQcmdTuples(res->get()), nullptr, 10);
  // The cross-instance log rides along (it is not counted as events).
  log.add(static_cast<int64_t>(chunk));
  if (auto r = query(kPgPruneLog, log, "store_write_failed"); !r) return r.error();
  return n;
}

Result<CampaignReport> PgDb::campaign(std::string_view name) {
  if (auto r = ensure(); !r) return r.error();
  PgParams params;
  params.add(name);
  auto res = query(kPgGetCampaign, params, "store_read_failed");
  if (!res) return res.error();
  const PGresult* r = res->get();
  CampaignReport c;
  if (PQntuples(r) == 0) return c;
  c.found = true;
  uint64_t* cols[] = {&c.sent,   &c.delivered, &c.failed, &c.invalid, &c.unsubscribed, &c.suppressed,
                      &c.capped, &c.expired,   &c.opened, &c.clicked, &c.converted};
  for (int i = 0; i < 11; ++i) *cols[i] = static_cast<uint64_t>(pg_i64(r, 0, i));
  return c;
}

Result<size_t> PgDb::record_engagement(const std::vector<EngagementEvent>& events) {
  if (events.empty()) return size_t{0};
  if (auto r = ensure(); !r) return r.error();
  PgArray at, camp, plat, app, tok, kind;
  std::map<std::string, CampaignDelta, std::less<>> per_campaign;
  for (const EngagementEvent& e : events) {
    at.add(e.at_ms);
    camp.add(e.campaign);
    plat.add(static_cast<int64_t>(e.platform));
    app.add(e.app);
    tok.add(e.token);
    kind.add(static_cast<int64_t>(e.kind));
    per_campaign[pg_text(e.campaign)].add(engagement_delta(e.kind));  // keyed as stored
  }
  PgArray names, counters[CampaignDelta::kColumns];
  for (const auto& [name, c] : per_campaign) {
    names.add(name);
    const auto v = c.columns();
    for (size_t k = 0; k < CampaignDelta::kColumns; ++k) counters[k].add(v[k]);
  }
  PgPipeline pl(conn_.get());
  PgParams ins, upd;
  for (PgArray* a : {&at, &camp, &plat, &app, &tok, &kind}) ins.add_clean(a->literal());
  upd.add_clean(names.literal());
  for (PgArray& a : counters) upd.add_clean(a.literal());
  pl.sql("BEGIN");
  pl.prepared(kPgInsertEngagement, ins);
  pl.prepared(kPgUpsertCampaigns, upd);
  pl.sql("COMMIT");
  auto res = run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  return events.size();
}

Result<size_t> PgDb::follow(const RemoteFn& fn) {
  if (auto r = ensure(); !r) return r.error();
  PgPipeline pl(conn_.get());
  PgParams none, log, mk;
  log.add(log_pos_).add(instance_).add(kPgFollowLimit);
  mk.add(marketing_pos_).add(instance_).add(kPgFollowLimit);
  // One snapshot: each max(seq) is the position after the rows read with it.
  pl.sql(kSnapshot);
  const size_t log_max = pl.prepared(kPgMaxLog, none);
  const size_t log_rows = pl.prepared(kPgFollowLog, log);
  const size_t mk_max = pl.prepared(kPgMaxMarketing, none);
  const size_t mk_rows = pl.prepared(kPgFollowMarketing, mk);
  pl.sql("COMMIT");
  auto res = run_txn(pl, "store_read_failed");
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
