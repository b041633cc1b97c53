// Internal to the PostgreSQL engine: the one libpq connection every part of
// the engine shares (group commit, campaigns, scheduled sends, reads), how it
// recovers, and how statements run on it.
//
// A lost connection fails the operation in progress (the Writer retries with
// backoff); the next operation reconnects (ensure()).
//
// Threads: the opener, then the store thread.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "obs/log.h"
#include "pushgw/result.h"
#include "store/pg/pg.h"

namespace pushgw::store::detail {

class PgSession {
 public:
  // Connects (TCP keepalives and a user timeout bound how long a silently
  // vanished server can block the store thread) and remembers a random
  // 64-bit instance id. Errors: store_open_failed, naming the DSN without
  // its password. Call setup() once the schema is current.
  static Result<std::unique_ptr<PgSession>> connect(const std::string& dsn, const obs::Logger& log);
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Session settings and the prepared statements (pg/statements.h).
  Result<void> setup();
  // A usable connection: reconnects (and prepares again) after a loss, and
  // rolls back what a failed operation left open.
  Result<void> ensure();

  PGconn* get() const { return conn_.get(); }
  const std::string& redacted() const { return redacted_; }
  const obs::Logger& log() const { return log_; }
  // This process among the instances sharing the database (never 0).
  int64_t instance() const { return instance_; }

  // Runs a pipelined transaction; on failure leaves the connection idle.
  Result<std::vector<PgResultPtr>> run_txn(PgPipeline& pl, const char* code);
  // One prepared statement, inside whatever transaction is open (callers
  // ensure() first).
  Result<PgResultPtr> query(const char* stmt, PgParams& p, const char* code);
  // Streams the rows of a prepared statement one at a time.
  Result<void> each_row(const char* stmt, PgParams& p, const std::function<void(const PGresult*)>& row);
  // A prepared max(seq) statement's value (kPgMaxLog / kPgMaxMarketing).
  Result<int64_t> max_seq(const char* stmt);

 private:
  PgSession() = default;

  PgConnPtr conn_;
  std::string redacted_;
  obs::Logger log_;
  int64_t instance_ = 0;
};

}  // namespace pushgw::store::detail
