// Internal to the SQLite engine: the one connection every part of the engine
// shares (outcomes, campaigns, scheduled sends, reads), its transaction
// statements, and a transaction as a scope (SqliteTxn).
//
// Threads: the connection and its statements belong to one thread at a time
// (the opener, then the store thread).
#pragma once
#include <sqlite3.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "pushgw/result.h"
#include "store/sqlite/stmt.h"

namespace pushgw::store::detail {

class SqliteConn {
 public:
  // Takes an open, configured handle (SqliteDb::open) and prepares the
  // transaction statements.
  static Result<std::unique_ptr<SqliteConn>> attach(DbPtr db);
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  sqlite3* get() const { return db_.get(); }
  // Prepares each (statement, sql) pair; the first failure is returned.
  Result<void> prepare(std::initializer_list<std::pair<Stmt*, const char*>> all) const;

  // BEGIN IMMEDIATE. full_sync: this transaction's COMMIT fsyncs the WAL
  // (synchronous=FULL); otherwise synchronous=NORMAL (survives a crash of
  // the process, not a power failure).
  Result<void> begin(bool full_sync);
  Result<void> commit();
  void rollback();  // no-op outside a transaction
  bool in_txn() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  // Steps a write to its end: an error is store_write_failed naming `what`.
  Result<void> done(Stmt::Use& u, const char* what) const;
  Error error(std::string code, std::string_view what) const { return sql_error(db_.get(), std::move(code), what); }
  int changes() const { return sqlite3_changes(db_.get()); }

 private:
  explicit SqliteConn(DbPtr db) : db_(std::move(db)) {}
  Result<void> set_sync(bool full);

  DbPtr db_;
  bool full_sync_ = false;
  Stmt begin_, commit_, rollback_;
};

// A transaction as a scope: rolled back when the guard ends unless commit()
// succeeded, so an early return on error leaves nothing open.
class SqliteTxn {
 public:
  static Result<SqliteTxn> begin(SqliteConn& c, bool full_sync);
  SqliteTxn(SqliteTxn&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  SqliteTxn& operator=(SqliteTxn&&) = delete;
  ~SqliteTxn() {
    if (c_ != nullptr) c_->rollback();
  }
  Result<void> commit();

 private:
  explicit SqliteTxn(SqliteConn& c) : c_(&c) {}
  SqliteConn* c_;  // null once committed (or moved from)
};

}  // namespace pushgw::store::detail
