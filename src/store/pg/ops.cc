// PgDb: reads, forget and prune (pg_db.h).
#include <algorithm>
#include <cstdlib>

#include "store/pg/pg_db.h"
#include "store/pg/statements.h"

namespace pushgw::store::detail {

namespace {

Platform platform_of(int64_t p) { return static_cast<Platform>(std::clamp<int64_t>(p, 0, kPlatformCount - 1)); }

}  // namespace

Result<TokenState> PgDb::token(Platform p, std::string_view app, std::string_view token) {
  if (auto r = s_->ensure(); !r) return r.error();
  PgParams params;
  params.add(static_cast<int64_t>(p)).add(app).add_clean(pg_token_key(pg_text(token)));
  auto res = s_->query(kPgGetToken, params, "store_read_failed");
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
  if (auto r = s_->ensure(); !r) return r.error();
  FeedbackPage page;
  page.next = since;
  // seq is a signed bigint: a `since` beyond it simply matches nothing.
  const int64_t from = since > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(since);
  PgParams params;
  params.add(from).add(static_cast<int64_t>(limit));
  auto res = s_->query(kPgGetEvents, params, "store_read_failed");
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
  if (auto r = s_->ensure(); !r) return r.error();
  PgPipeline pl(s_->get());
  PgParams none, params;
  const std::string text = pg_text(token);
  params.add(s_->instance()).add(static_cast<int64_t>(p)).add(app).add_clean(text).add_clean(pg_token_key(text));
  pl.sql("BEGIN");
  pl.prepared(kPgFeedLockStmt, none);
  const size_t at = pl.prepared(kPgForget, params);
  pl.sql("COMMIT");
  auto res = s_->run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  const PGresult* r = (*res)[at].get();
  if (PQntuples(r) == 0) return std::optional<int>();
  return std::optional<int>(static_cast<int>(pg_i64(r, 0, 0)));
}

Result<uint64_t> PgDb::prune(int64_t before_ms, uint32_t chunk) {
  if (auto r = s_->ensure(); !r) return r.error();
  PgParams events, log;
  events.add(before_ms).add(static_cast<int64_t>(chunk));
  auto res = s_->query(kPgPruneEvents, events, "store_write_failed");
  if (!res) return res.error();
  const uint64_t n = std::strtoull(PQcmdTuples(res->get()), nullptr, 10);
  // The cross-instance log rides along (it is not counted as events).
  log.add(static_cast<int64_t>(chunk));
  if (auto r = s_->query(kPgPruneLog, log, "store_write_failed"); !r) return r.error();
  return n;
}

}  // namespace pushgw::store::detail
