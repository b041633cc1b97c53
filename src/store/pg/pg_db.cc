// PgDb: connection, prepared statements and the group commit (pg_db.h).
#include "store/pg/pg_db.h"

#include <algorithm>
#include <random>

#include "store/pg/schema.h"
#include "store/pg/statements.h"

namespace pushgw::store::detail {

namespace {

// A random, non-zero instance id: distinct per process with overwhelming odds.
int64_t new_instance_id() {
  std::random_device rd;
  for (;;) {
    const uint64_t v = (uint64_t{rd()} << 32) ^ rd();
    if (v != 0) return static_cast<int64_t>(v >> 1);  // positive: readable in psql
  }
}

static_assert(kPgFeedLock == 5784688195950084098, "kPgFeedLockStmt spells kPgFeedLock out");

}  // namespace

void PgDb::VerdictCols::clear() {
  for (PgArray* a : {&kind, &platform, &app, &key, &full, &reason, &since, &at, &campaign}) a->clear();
}

void PgDb::MarketingCols::clear() {
  for (PgArray* a : {&platform, &app, &token, &at}) a->clear();
}

int PgDb::schema_version() const { return kPgSchemaVersion; }

Result<std::unique_ptr<PgDb>> PgDb::open(const std::string& dsn, const obs::Logger& log) {
  std::unique_ptr<PgDb> db(new PgDb());
  db->redacted_ = redact_dsn(dsn);
  db->log_ = log;
  db->instance_ = new_instance_id();
  // The DSN is expanded as the dbname keyword; the defaults before it are
  // overridden by anything it says.
  // TCP keepalives and a user timeout bound how long a silently vanished
  // server can block the store thread (the kernel default is ~2 h, during
  // which full outcome rings would stall every sender).
  const char* keys[] = {"connect_timeout", "keepalives",       "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "fallback_application_name", "dbname",
                        nullptr};
  const char* vals[] = {"10", "1", "10", "5", "3", "30000", "pushgwd", dsn.c_str(), nullptr};
  db->conn_.reset(PQconnectdbParams(keys, vals, /*expand_dbname=*/1));
  if (!db->conn_ || PQstatus(db->conn_.get()) != CONNECTION_OK)
    return pg_error(db->conn_.get(), "store_open_failed", "connecting to " + db->redacted_);
  auto found = pg_migrate(db->conn_.get(), log);
  if (!found) return found.error();
  db->schema_found_ = *found;
  if (auto r = db->setup_session(); !r) return r.error();
  // Follow from here; for_each_suppressed() / for_each_marketing_send() move
  // these to the snapshot they load.
  auto lp = db->max_seq(kPgMaxLog);
  if (!lp) return lp.error();
  auto mp = db->max_seq(kPgMaxMarketing);
  if (!mp) return mp.error();
  db->log_pos_ = *lp;
  db->marketing_pos_ = *mp;
  return db;
}

Result<void> PgDb::setup_session() {
  PGconn* c = conn_.get();
  // Ordinary group commits do not wait for the WAL flush (see pg_db.h);
  // full-sync ones turn it on for their transaction only.
  if (auto r = pg_exec(c, "SET synchronous_commit = off; SET client_encoding = 'UTF8';"
                          "SET client_min_messages = warning",
                       "store_open_failed");
      !r)
    return r;
  for (const PgStatement& s : kPgStatements) {
    PgResultPtr r(PQprepare(c, s.name, s.sql, 0, nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return pg_result_error(r.get(), "store_open_failed", std::string("preparing ") + s.name);
  }
  return ok();
}

Result<void> PgDb::ensure() {
  PGconn* c = conn_.get();
  if (PQstatus(c) == CONNECTION_OK && PQpipelineStatus(c) == PQ_PIPELINE_OFF) {
    const PGTransactionStatusType ts = PQtransactionStatus(c);
    if (ts == PQTRANS_IDLE) return ok();
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
      if (pg_exec(c, "ROLLBACK")) return ok();
    }
  }
  PGW_LOG(log_, Warn, "postgres connection to %s lost; reconnecting", redacted_.c_str());
  PQreset(c);
  if (PQstatus(c) != CONNECTION_OK) return pg_error(c, "store_write_failed", "reconnecting to " + redacted_);
  return setup_session();
}

void PgDb::clear_batch() {
  sends_.clear();
  verdicts_.clear();
  marketing_.clear();
  campaigns_.clear();
}

Result<void> PgDb::begin(bool full_sync) {
  // Nothing goes to the server yet: the whole transaction is sent at commit.
  clear_batch();
  txn_ = true;
  full_sync_ = full_sync;
  return ok();
}

void PgDb::add_send(const RecordView& r) {
  const int64_t delivered = r.kind == Kind::Delivered ? 1 : 0;
  const int64_t failed = r.kind == Kind::Failed ? 1 : 0;
  // Merged on the key as stored: two byte strings that sanitize alike are
  // one row (an upsert may not touch a row twice).
  std::string token = pg_text(r.token), key = pg_token_key(token);
  if (key == token) token.clear();
  sends_.push_back(SendRow{static_cast<int16_t>(r.platform), pg_text(r.app), std::move(key), std::move(token),
                           pg_text(r.campaign), r.at_ms, r.at_ms, 1, delivered, failed});
}

Result<void> PgDb::apply(const RecordView& r, TxnDelta&) {
  if (!txn_) return make_error("store_write_failed", "apply outside a transaction");
  if (CampaignDelta c; !r.campaign.empty() && outcome_delta(r.kind, c)) campaigns_[pg_text(r.campaign)].add(c);
  switch (r.kind) {
    case Kind::Suppressed:
    case Kind::Capped:
    case Kind::Expired: return ok();
    case Kind::MarketingSent:
      marketing_.platform.add(static_cast<int64_t>(r.platform));
      marketing_.app.add(r.app);
      marketing_.token.add(r.token);
      marketing_.at.add(r.at_ms);
      return ok();
    case Kind::Sent:
    case Kind::Delivered:
    case Kind::Failed: add_send(r); return ok();
    case Kind::Invalid:
    case Kind::Unsubscribed:
    case Kind::Reactivated: break;
  }
  verdicts_.kind.add(static_cast<int64_t>(verdict_state(r.kind)));  // Reactivated -> 0
  verdicts_.platform.add(static_cast<int64_t>(r.platform));
  verdicts_.app.add(r.app);
  const std::string token = pg_text(r.token), key = pg_token_key(token);
  verdicts_.key.add(key);
  verdicts_.full.add(key == token ? std::string_view() : std::string_view(token));
  verdicts_.reason.add(r.kind == Kind::Reactivated ? std::string_view() : r.reason);
  verdicts_.since.add(r.since_ms);
  verdicts_.at.add(r.at_ms);
  verdicts_.campaign.add(r.campaign);
  return ok();
}

Result<std::vector<PgResultPtr>> PgDb::run_txn(PgPipeline& pl, const char* code) {
  auto res = pl.run(code);
  if (!res) (void)ensure();  // leaves no aborted transaction behind
  return res;
}

Result<void> PgDb::commit(TxnDelta& d) {
  if (!txn_) return make_error("store_write_failed", "commit outside a transaction");
  if (auto r = ensure(); !r) return r;
  // Sorted by key, duplicates merged: an upsert may touch a row only once,
  // and instances that lock rows in one order cannot deadlock on them.
  std::stable_sort(sends_.begin(), sends_.end(), [](const SendRow& a, const SendRow& b) {
    if (a.platform != b.platform) return a.platform < b.platform;
    if (a.app != b.app) return a.app < b.app;
    return a.key < b.key;
  });
  PgArray cols[10];
  size_t rows = 0;
  for (size_t i = 0; i < sends_.size(); ++i) {
    SendRow& s = sends_[i];
    for (; i + 1 < sends_.size() && sends_[i + 1].platform == s.platform && sends_[i + 1].app == s.app &&
           sends_[i + 1].key == s.key;
         ++i) {
      const SendRow& n = sends_[i + 1];  // later in apply() order (stable sort)
      s.sent += n.sent;
      s.delivered += n.delivered;
      s.failed += n.failed;
      s.last_at = n.last_at;
      s.campaign = n.campaign;
    }
    cols[0].add(int64_t{s.platform});
    cols[1].add(s.app);
    cols[2].add(s.key);
    cols[3].add(s.full);
    cols[4].add(s.first_at);
    cols[5].add(s.sent);
    cols[6].add(s.delivered);
    cols[7].add(s.failed);
    cols[8].add(s.last_at);
    cols[9].add(s.campaign);
    ++rows;
  }

  PgPipeline pl(conn_.get());
  PgParams p;
  pl.sql("BEGIN");
  if (full_sync_) {
    // The flush at COMMIT must also cover earlier asynchronous commits, and
    // a transaction that writes no WAL flushes nothing: the heartbeat does.
    pl.sql("SET LOCAL synchronous_commit = on");
    pl.prepared(kPgHeartbeat, p);
  }
  // Rows of the change-followed tables: seq order must be commit order.
  if (verdicts_.size() > 0 || marketing_.size() > 0) pl.prepared(kPgFeedLockStmt, p);
  std::optional<size_t> sends_at, verdicts_at;
  if (rows > 0) {
    for (PgArray& a : cols) p.add_clean(a.literal());
    sends_at = pl.prepared(kPgUpsertSends, p);
    p.clear();
  }
  if (verdicts_.size() > 0) {
    p.add(instance_);
    for (PgArray* a : {&verdicts_.kind, &verdicts_.platform, &verdicts_.app, &verdicts_.key, &verdicts_.full,
                       &verdicts_.reason, &verdicts_.since, &verdicts_.at, &verdicts_.campaign})
      p.add_clean(a->literal());
    verdicts_at = pl.prepared(kPgApplyVerdicts, p);
    p.clear();
  }
  if (marketing_.size() > 0) {
    p.add(instance_);
    for (PgArray* a : {&marketing_.platform, &marketing_.app, &marketing_.token, &marketing_.at})
      p.add_clean(a->literal());
    pl.prepared(kPgInsertMarketing, p);
    p.clear();
  }
  if (!campaigns_.empty()) {
    PgArray names, counters[CampaignDelta::kColumns];
    for (const auto& [name, c] : campaigns_) {  // std::map: sorted, the lock order again
      names.add(name);
      const auto v = c.columns();
      for (size_t k = 0; k < CampaignDelta::kColumns; ++k) counters[k].add(v[k]);
    }
    p.add_clean(names.literal());
    for (PgArray& a : counters) p.add_clean(a.literal());
    pl.prepared(kPgUpsertCampaigns, p);
    p.clear();
  }
  pl.sql("COMMIT");
  auto res = run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  if (sends_at) d.tokens += pg_i64((*res)[*sends_at].get(), 0, 0);
  if (verdicts_at) {
    const PGresult* v = (*res)[*verdicts_at].get();
    d.tokens += pg_i64(v, 0, 0);
    d.invalid += pg_i64(v, 0, 1);
    d.unsubscribed += pg_i64(v, 0, 2);
    d.events += pg_i64(v, 0, 3);
  }
  txn_ = false;
  clear_batch();
  return ok();
}

void PgDb::rollback() {
  // Nothing reached the server unless commit() failed, and then run_txn()
  // already rolled it back.
  txn_ = false;
  clear_batch();
}

Result<void> PgDb::barrier(int64_t) {
  if (auto r = ensure(); !r) return r;
  // A commit that writes WAL with synchronous_commit on: the flush covers
  // every earlier (asynchronous) commit too.
  PgPipeline pl(conn_.get());
  PgParams p;
  pl.sql("BEGIN");
  pl.sql("SET LOCAL synchronous_commit = on");
  pl.prepared(kPgHeartbeat, p);
  pl.sql("COMMIT");
  auto res = run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  return ok();
}

}  // namespace pushgw::store::detail
