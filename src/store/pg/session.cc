#include "store/pg/session.h"

#include <optional>
#include <random>

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

}  // namespace

Result<std::unique_ptr<PgSession>> PgSession::connect(const std::string& dsn, const obs::Logger& log) {
  std::unique_ptr<PgSession> s(new PgSession());
  s->redacted_ = redact_dsn(dsn);
  s->log_ = log;
  s->instance_ = new_instance_id();
  // The DSN is expanded as the dbname keyword; the defaults before it are
  // overridden by anything it says.
  // TCP keepalives and a user timeout bound how long a silently vanished
  // server can block the store thread (the kernel default is ~2 h, during
  // which full outcome rings would stall every sender).
  const char* keys[] = {"connect_timeout", "keepalives",       "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "fallback_application_name", "dbname",
                        nullptr};
  const char* vals[] = {"10", "1", "10", "5", "3", "30000", "pushgwd", dsn.c_str(), nullptr};
  s->conn_.reset(PQconnectdbParams(keys, vals, /*expand_dbname=*/1));
  if (!s->conn_ || PQstatus(s->conn_.get()) != CONNECTION_OK)
    return pg_error(s->conn_.get(), "store_open_failed", "connecting to " + s->redacted_);
  return s;
}

Result<void> PgSession::setup() {
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

Result<void> PgSession::ensure() {
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
  return setup();
}

Result<std::vector<PgResultPtr>> PgSession::run_txn(PgPipeline& pl, const char* code) {
  auto res = pl.run(code);
  if (!res) (void)ensure();  // leaves no aborted transaction behind
  return res;
}

Result<PgResultPtr> PgSession::query(const char* stmt, PgParams& p, const char* code) {
  PgResultPtr res(PQexecPrepared(conn_.get(), stmt, p.count(), p.values(), nullptr, nullptr, 0));
  const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    return res ? pg_result_error(res.get(), code, stmt) : pg_error(conn_.get(), code, stmt);
  return res;
}

Result<void> PgSession::each_row(const char* stmt, PgParams& p, const std::function<void(const PGresult*)>& row) {
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

Result<int64_t> PgSession::max_seq(const char* stmt) {
  PgParams none;
  auto r = query(stmt, none, "store_open_failed");
  if (!r) return r.error();
  return pg_i64(r->get(), 0, 0);
}

}  // namespace pushgw::store::detail
